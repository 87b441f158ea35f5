import ArchiveFormat
import ExactJSON
import Foundation

/// A job as `jobs JOB --json` and `serve`'s `GET /v1/images/uploaded/<job>` give it
/// (docs/http-api.md).
public enum JobStatus {
    /// Seed 002's status answer (`id`, `status`, `created`, `finished`, `uploaded.{completed,
    /// failed,pending}` as sources), plus each item's detail (without its deletehash).
    public static func json(_ job: UploadJob, _ items: [UploadItem]) -> JSONValue {
        func sources(_ states: [UploadItem.State]) -> JSONValue {
            .array(items.filter { states.contains($0.state) }.map { .string($0.source.text) })
        }
        var album: JSONValue = .null
        switch job.album {
        case .new(let title, let id, _, let uncertain)?:
            album = .object(["title": .string(title), "id": .optional(id), "uncertain": .bool(uncertain)])
        case .existing(let target)?:
            album = .object(["id": .string(target.count <= 7 ? target : "(deletehash)")])
        case nil:
            break
        }
        return .object([
            "id": .string(job.id), "status": .string(job.status.rawValue), "created": .string(Timestamp.iso8601(job.createdAt)),
            "finished": job.finishedAt.map { .string(Timestamp.iso8601($0)) } ?? .null,
            "account": .optional(job.account), "album": album,
            "uploaded": .object([
                "completed": sources([.completed]), "failed": sources([.failed]),
                "pending": sources([.pending, .sending, .processing, .uncertain]),
            ]),
            "items": .array(items.map { item in
                .object([
                    "index": .int(Int64(item.index)), "source": .string(item.source.text), "state": .string(item.state.rawValue),
                    "id": .optional(item.imgurID), "link": .optional(item.link), "bytes": item.bytes.map(JSONValue.int) ?? .null,
                    "sha256": .optional(item.sha256), "error": .optional(item.error), "name": .string(item.name),
                    "has_deletehash": .bool(item.deletehash != nil), "attempts": .int(Int64(item.attempts)),
                    "sent_at": item.sentAt.map { .string(Timestamp.iso8601($0)) } ?? .null,
                    "completed_at": item.completedAt.map { .string(Timestamp.iso8601($0)) } ?? .null,
                ])
            }),
        ])
    }
}
