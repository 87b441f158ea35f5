import ArchiveFormat
import ExactJSON
import Foundation
import Jobs
import Uploader

/// `imgur-archive jobs [JOB] [--json]` and `uploads [--json]`: what the job files say, read
/// without taking any lock (a running job is shown as it is now). Deletehashes only in
/// `uploads --json`, which is asked for them.
struct JobsCommand {
    let options: ListOptions

    func jobs(_ session: Session) throws -> ExitCode {
        let store = try session.jobStore(create: false)
        if let id = options.job {
            let (job, items) = try store.snapshot(id)
            if options.json {
                session.context.console.out(String(decoding: JobStatus.json(job, items).serialized(.pretty), as: UTF8.self) + "\n")
            } else {
                session.reporter.heading("job", job.id, Self.line(job, items))
                for item in items { session.reporter.heading(item.state.rawValue, item.imgurID ?? "-", Self.detail(item)) }
            }
            return .success
        }
        var damaged = false
        for result in store.all() {
            switch result {
            case .success(let (job, items)):
                if options.json {
                    session.context.console.out(String(decoding: JobStatus.json(job, items).serialized(.compact), as: UTF8.self) + "\n")
                } else {
                    session.context.console.out("\(job.id)  \(Self.line(job, items))\n")
                }
            case .failure(let error):
                damaged = true
                session.reporter.error("\(error)")
            }
        }
        return damaged ? .failure : .success
    }

    func uploads(_ session: Session) throws -> ExitCode {
        let store = try session.jobStore(create: false)
        var damaged = false
        for result in store.all() {
            switch result {
            case .success(let (job, items)):
                for item in items where item.imgurID != nil {
                    if options.json {
                        let record: JSONValue = .object([
                            "job": .string(job.id), "id": .optional(item.imgurID), "link": .optional(item.link),
                            "deletehash": .optional(item.deletehash), "source": .string(item.source.text),
                            "sha256": .optional(item.sha256), "state": .string(item.state.rawValue),
                            "uploaded_at": item.completedAt.map { .string(Timestamp.iso8601($0)) } ?? .null,
                        ])
                        session.context.console.out(String(decoding: record.serialized(.compact), as: UTF8.self) + "\n")
                    } else {
                        let state = item.state == .completed ? "" : "  (\(item.state.rawValue))"
                        session.context.console.out("\(item.imgurID ?? "")  \(item.link ?? "")  \(TextFormat.terminalSafe(item.source.text))\(state)\n")
                    }
                }
            case .failure(let error):
                damaged = true
                session.reporter.error("\(error)")
            }
        }
        return damaged ? .failure : .success
    }

    /// `completed  12/12 uploaded  created 2026-12-02T10:00:00Z  album AbC12de`.
    static func line(_ job: UploadJob, _ items: [UploadItem]) -> String {
        var text = "\(job.status.rawValue)  \(items.count { $0.state == .completed })/\(items.count) uploaded"
        let others = UploadCommand.counts(items.filter { $0.state != .completed })
        if !others.isEmpty { text += " (\(others))" }
        text += "  created \(Timestamp.iso8601(job.createdAt))"
        switch job.album {
        case .new(let title, let id, _, let uncertain)?:
            text += id.map { "  album \($0)" } ?? (uncertain ? "  album \"\(title)\" (uncertain)" : "  album \"\(title)\" (not made yet)")
        case .existing(let target)?:
            text += target.count <= 7 ? "  into album \(target)" : "  into an album by its deletehash"
        case nil:
            break
        }
        return TextFormat.terminalSafe(text)
    }

    static func detail(_ item: UploadItem) -> String {
        var text = "\(item.source.text)"
        if let link = item.link { text += "  \(link)" }
        if let error = item.error, item.state != .completed { text += "  (\(error))" }
        return text
    }
}
