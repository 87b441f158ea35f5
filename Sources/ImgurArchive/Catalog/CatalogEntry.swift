import Foundation
import ImgurAPI

/// One album's line in `scraping_logs.json`.
public struct CatalogEntry: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Every media file is on disk and verified.
        case complete
        /// Every media file Imgur still serves is on disk; the rest were removed (listed in `missing`).
        case partial
        /// Imgur says the album does not exist (or no longer shows it); not asked for again without --refresh.
        case unavailable
        /// `--metadata-only`: the documents are written, the media are not downloaded yet.
        case metadataOnly = "metadata-only"
        /// `--media-only`: the media are downloaded, the documents are not written yet.
        case mediaOnly = "media-only"

        /// Whether a run fetching `scope` has nothing left to do for an album with this status.
        func isDone(for scope: ArchiveScope) -> Bool {
            switch self {
            case .complete, .partial, .unavailable: true
            case .metadataOnly: scope == .metadataOnly
            case .mediaOnly: scope == .mediaOnly
            }
        }
    }

    public var id: ImgurID
    public var status: Status
    /// "album" or "image" (a single image kept in the same folder format).
    public var kind: String
    public var title: String?
    /// Publication time, unix seconds.
    public var published: Int64?
    public var mediaCount: Int
    /// When the album was archived, or for `unavailable` when that was found.
    public var recordedAt: Date
    /// Media ids that could not be archived (partial albums).
    public var missing: [String]
    /// Why an album is unavailable.
    public var reason: String?

    public init(
        id: ImgurID, status: Status, kind: String = "album", title: String? = nil, published: Int64? = nil,
        mediaCount: Int = 0, recordedAt: Date, missing: [String] = [], reason: String? = nil
    ) {
        self.id = id
        self.status = status
        self.kind = kind
        self.title = title
        self.published = published
        self.mediaCount = mediaCount
        self.recordedAt = recordedAt
        self.missing = missing
        self.reason = reason
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id.rawValue),
            "status": .string(status.rawValue),
            "kind": .string(kind),
        ]
        if status == .unavailable {
            members["checked_at"] = .string(Timestamp.iso8601(recordedAt))
            members["reason"] = .optional(reason)
        } else {
            members["title"] = .optional(title)
            members["published"] = published.map { .string(Timestamp.iso8601(unix: $0)) } ?? .null
            members["media_count"] = .int(Int64(mediaCount))
            members["archived_at"] = .string(Timestamp.iso8601(recordedAt))
            if !missing.isEmpty { members["missing"] = .array(missing.map(JSONValue.string)) }
        }
        return .object(members)
    }
}
