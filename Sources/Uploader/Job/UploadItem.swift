import ArchiveFormat
import ExactJSON
import Foundation

/// One thing to upload and what became of it: a line of its job file (docs/upload-jobs.md).
public struct UploadItem: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Not sent yet (or sent and provably not received: a refusal before Imgur acted).
        case pending
        /// Being sent: recorded before the POST, so a crash during it leaves `sending`, which the
        /// next run turns into `uncertain`, never into a blind resend.
        case sending
        /// Imgur has it (id and deletehash recorded) and is still transcoding the video.
        case processing
        case completed
        /// Refused, by this tool before sending or by Imgur: `error` says why.
        case failed
        /// The POST may have reached Imgur but its answer was lost: with a login it is looked for
        /// by name; anonymously, `upload --resume --retry-uncertain` sends it again.
        case uncertain
        /// Deleted by `delete` (by its deletehash).
        case deleted
    }

    /// Where the item comes from: a local file or a URL Imgur fetches.
    public enum Source: Sendable, Equatable {
        case file(path: String)
        case url(String)

        /// As the user gave it, for messages.
        public var text: String {
            switch self {
            case .file(let path): path
            case .url(let url): url
            }
        }
    }

    /// 1-based position in the job: the album's order.
    public let index: Int
    public let source: Source
    /// The unique name sent with the upload (`ia-<job>-<index>-<file name>`), by which a lost
    /// answer is found again in the account's images.
    public let name: String
    /// The file's size and SHA-256 when the job was made (an item's identity: Imgur recompresses,
    /// so its bytes never come back the same).
    public var bytes: Int64?
    public var sha256: String?
    public var mediaType: String?
    public var isVideo = false
    /// From `<file>.txt` beside the file, else the job's description.
    public var description: String?
    public var title: String?
    /// A restore's item: the archived media id it puts back.
    public var restoredFrom: String?

    public var state = State.pending
    public var imgurID: String?
    public var link: String?
    /// The only handle an anonymous upload has: on disk before anything else is done with an answer.
    public var deletehash: String?
    public var error: String?
    /// Whether it is in the job's album (made by the job, or named with the upload).
    public var inAlbum = false
    public var attempts = 0
    public var createdAt: Date
    public var sentAt: Date?
    public var completedAt: Date?

    public init(index: Int, source: Source, name: String, createdAt: Date) {
        self.index = index
        self.source = source
        self.name = name
        self.createdAt = createdAt
    }

    /// The key it is filed under in the job file: `item-0001`.
    public var key: String { Self.key(index) }
    public static func key(_ index: Int) -> String { "item-" + String(format: "%04d", index) }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "record": "item", "index": .int(Int64(index)), "name": .string(name), "state": .string(state.rawValue),
            "attempts": .int(Int64(attempts)), "created_at": .string(Timestamp.iso8601(createdAt)),
            "video": .bool(isVideo),
        ]
        switch source {
        case .file(let path): members["file"] = .string(path)
        case .url(let url): members["url"] = .string(url)
        }
        members["bytes"] = bytes.map(JSONValue.int) ?? .null
        members["sha256"] = .optional(sha256)
        members["media_type"] = .optional(mediaType)
        members["description"] = .optional(description)
        members["title"] = .optional(title)
        if let restoredFrom { members["restored_from"] = .string(restoredFrom) }
        members["imgur_id"] = .optional(imgurID)
        members["link"] = .optional(link)
        members["deletehash"] = .optional(deletehash)
        members["error"] = .optional(error)
        members["in_album"] = .bool(inAlbum)
        members["sent_at"] = sentAt.map { .string(Timestamp.iso8601($0)) } ?? .null
        members["completed_at"] = completedAt.map { .string(Timestamp.iso8601($0)) } ?? .null
        return .object(members)
    }

    init?(json: JSONValue) {
        guard let index = json["index"]?.int64Value, index > 0, let name = json["name"]?.stringValue,
            let state = json["state"]?.stringValue.flatMap(State.init(rawValue:)),
            let created = json["created_at"]?.stringValue.flatMap(Timestamp.date)
        else { return nil }
        let source: Source
        if let path = json["file"]?.stringValue {
            source = .file(path: path)
        } else if let url = json["url"]?.stringValue {
            source = .url(url)
        } else {
            return nil
        }
        self.init(index: Int(index), source: source, name: name, createdAt: created)
        self.state = state
        bytes = json["bytes"]?.int64Value
        sha256 = json["sha256"]?.stringValue
        mediaType = json["media_type"]?.stringValue
        isVideo = json["video"]?.boolValue ?? false
        description = json["description"]?.stringValue
        title = json["title"]?.stringValue
        restoredFrom = json["restored_from"]?.stringValue
        imgurID = json["imgur_id"]?.stringValue
        link = json["link"]?.stringValue
        deletehash = json["deletehash"]?.stringValue
        error = json["error"]?.stringValue
        attempts = Int(json["attempts"]?.int64Value ?? 0)
        inAlbum = json["in_album"]?.boolValue ?? false
        sentAt = json["sent_at"]?.stringValue.flatMap(Timestamp.date)
        completedAt = json["completed_at"]?.stringValue.flatMap(Timestamp.date)
    }
}
