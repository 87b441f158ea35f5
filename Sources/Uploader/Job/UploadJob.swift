import ArchiveFormat
import ExactJSON
import Foundation

/// An upload job's own line in its file: who it uploads as, its album, its status
/// (docs/upload-jobs.md).
public struct UploadJob: Sendable, Equatable {
    public enum Status: String, Sendable {
        case running
        case completed
        case completedWithFailures = "completed with failures"
        /// Stopped with items left (a signal, the rate limit, answers lost): `upload --resume ID`.
        case interrupted
    }

    /// The album the job puts its items in.
    public enum AlbumPlan: Sendable, Equatable {
        /// `--new-album TITLE`: made once the items are up, in their order; `id` and `deletehash`
        /// once Imgur answered (`uncertain` when the answer to that POST was lost).
        case new(title: String, id: String?, deletehash: String?, uncertain: Bool)
        /// `--album ID|DELETEHASH`: each upload names it.
        case existing(String)
    }

    public let id: String
    public let createdAt: Date
    public var finishedAt: Date?
    public var status = Status.running
    /// Anonymous, or as the logged-in account (its name).
    public var account: String?
    public var album: AlbumPlan?
    public var title: String?
    public var description: String?
    /// `serve` resumes its own unfinished jobs when it starts again; the command line's wait for
    /// `upload --resume`.
    public var origin = Origin.commandLine
    /// The new album's privacy (`public`, `hidden`, `secret`); Imgur's default when nil.
    public var privacy: String?
    /// The item whose image becomes the new album's cover.
    public var coverItem: Int?
    /// A restore's job: the archived album it puts back (docs/restore-and-sync.md).
    public var restoreOf: String?
    /// A restore's last read-back of the new album: when, and what differed (empty: it matched).
    public var checkedAt: Date?
    public var differences: [String] = []

    public enum Origin: String, Sendable {
        case commandLine = "command line"
        case serve
        case sync
    }

    public init(id: String, createdAt: Date) {
        self.id = id
        self.createdAt = createdAt
    }

    static let key = "job"

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "record": "job", "id": .string(id), "created": .string(Timestamp.iso8601(createdAt)),
            "status": .string(status.rawValue), "version": 1, "origin": .string(origin.rawValue),
        ]
        members["finished"] = finishedAt.map { .string(Timestamp.iso8601($0)) } ?? .null
        members["account"] = .optional(account)
        members["title"] = .optional(title)
        members["description"] = .optional(description)
        if let privacy { members["privacy"] = .string(privacy) }
        if let coverItem { members["cover_item"] = .int(Int64(coverItem)) }
        if let restoreOf { members["restore_of"] = .string(restoreOf) }
        if let checkedAt {
            members["checked_at"] = .string(Timestamp.iso8601(checkedAt))
            members["differences"] = .array(differences.map(JSONValue.string))
        }
        switch album {
        case .new(let title, let id, let deletehash, let uncertain)?:
            members["album"] = .object([
                "mode": "new", "title": .string(title), "id": .optional(id), "deletehash": .optional(deletehash),
                "uncertain": .bool(uncertain),
            ])
        case .existing(let target)?:
            members["album"] = .object(["mode": "existing", "target": .string(target)])
        case nil:
            members["album"] = .null
        }
        return .object(members)
    }

    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let created = json["created"]?.stringValue.flatMap(Timestamp.date),
            let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:))
        else { return nil }
        self.init(id: id, createdAt: created)
        self.status = status
        finishedAt = json["finished"]?.stringValue.flatMap(Timestamp.date)
        account = json["account"]?.stringValue
        origin = json["origin"]?.stringValue.flatMap(Origin.init(rawValue:)) ?? .commandLine
        title = json["title"]?.stringValue
        description = json["description"]?.stringValue
        privacy = json["privacy"]?.stringValue
        coverItem = json["cover_item"]?.int64Value.map(Int.init)
        restoreOf = json["restore_of"]?.stringValue
        checkedAt = json["checked_at"]?.stringValue.flatMap(Timestamp.date)
        differences = json["differences"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let album = json["album"], album["mode"]?.stringValue == "new", let title = album["title"]?.stringValue {
            self.album = .new(
                title: title, id: album["id"]?.stringValue, deletehash: album["deletehash"]?.stringValue,
                uncertain: album["uncertain"]?.boolValue ?? false)
        } else if let target = json["album"]?["target"]?.stringValue {
            self.album = .existing(target)
        }
    }

    /// A new job id: six lowercase letters and digits (short to type, 2 billion of them).
    static func newID() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        return String((0..<6).map { _ in alphabet.randomElement()! })
    }

    /// Job ids as `newID` makes them (and as a user types them).
    public static func isValidID(_ text: String) -> Bool {
        (4...16).contains(text.count) && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }
    }
}
