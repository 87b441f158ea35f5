import ExactJSON
import Foundation
import ImgurAPI

/// What a folder holds: an album, or a single image kept like an album of one.
public enum AlbumKind: String, Sendable, Equatable {
    case album
    case image
}

/// How complete an album is, in its metadata and in the catalog (docs/archive-format.md).
public enum AlbumStatus: String, Sendable, Equatable {
    /// Every media file is on disk and verified.
    case complete
    /// Every media file Imgur still serves is on disk; the rest were removed (listed as such).
    case partial
    /// `--metadata-only`: the documents are written, the media not downloaded yet.
    case metadataOnly = "metadata-only"
    /// `--media-only`: the media are downloaded, the documents not written yet (catalog only).
    case mediaOnly = "media-only"
    /// Imgur says the album does not exist (catalog only).
    case unavailable
    /// Some media did not come intact (their size disagrees with the API's): never in the catalog,
    /// fetched again by the next run (metadata only).
    case incomplete

    /// Whether a run fetching `scope` has nothing left to do for an album with this status.
    public func isDone(for scope: ArchiveScope) -> Bool {
        switch self {
        case .complete, .partial, .unavailable: true
        case .metadataOnly: scope == .metadataOnly
        case .mediaOnly: scope == .mediaOnly
        case .incomplete: false
        }
    }
}

/// What of an album a run fetches.
public enum ArchiveScope: String, Sendable, Equatable {
    /// The three documents and every media file.
    case everything
    /// Only the documents (`--metadata-only`): no media downloaded.
    case metadataOnly = "metadata-only"
    /// Only the media files (`--media-only`): no documents written.
    case mediaOnly = "media-only"
}

/// What became of one position's media.
public enum MediaStatus: String, Sendable, Equatable {
    /// Stored in the folder and verified.
    case ok
    /// Imgur redirected to `removed.png` or served its 503-byte placeholder.
    case removed
    /// HTTP 404 or 410.
    case missing
    /// The API gave no usable link.
    case noLink = "no_link"
    /// Left out by `--metadata-only`.
    case notDownloaded = "not_downloaded"
    /// Complete by its own length, but never the size the API gives: kept aside in `quarantine/`,
    /// fetched again by the next run.
    case sizeMismatch = "size_mismatch"

    /// Imgur no longer serves it (not merely left out by this run, nor still to be fetched).
    public var isLost: Bool { self != .ok && self != .notDownloaded && self != .sizeMismatch }
}

/// One position of an album, as `metadata_<ID>.json` records it, with the texts Imgur shows with it.
public struct MediaRecord: Sendable, Equatable {
    public var position: Int
    public var id: ImgurID
    /// MIME type according to the API.
    public var type: String?
    /// The API's `size`.
    public var apiSize: Int64?
    public var status: MediaStatus
    /// The file in the folder (only for `ok`), a valid `MediaFileName`.
    public var file: String?
    public var bytes: Int64?
    public var sha256: String?
    public var detectedType: String?
    public var url: String?
    /// For unavailable media: what the media server answered and when.
    public var httpStatus: Int?
    public var seenAt: Date?
    /// `size_mismatch`: where the bytes that came were kept, relative to the storage directory.
    public var keptAside: String?
    /// When a refresh found that Imgur no longer lists this media: its record and file are kept.
    public var removedUpstreamAt: Date?
    /// The media's own title and description (from the album's API object and `descriptions_`).
    public var title: String?
    public var description: String?

    public init(
        position: Int, id: ImgurID, type: String?, apiSize: Int64?, status: MediaStatus, file: String? = nil,
        bytes: Int64? = nil, sha256: String? = nil, detectedType: String? = nil, url: String? = nil,
        httpStatus: Int? = nil, seenAt: Date? = nil, keptAside: String? = nil, removedUpstreamAt: Date? = nil,
        title: String? = nil, description: String? = nil
    ) {
        self.keptAside = keptAside
        self.removedUpstreamAt = removedUpstreamAt
        self.position = position
        self.id = id
        self.type = type
        self.apiSize = apiSize
        self.status = status
        self.file = file
        self.bytes = bytes
        self.sha256 = sha256
        self.detectedType = detectedType
        self.url = url
        self.httpStatus = httpStatus
        self.seenAt = seenAt
        self.title = title
        self.description = description
    }

    /// The record as written (title and description live in `descriptions_` and `api`).
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "position": .int(Int64(position)), "id": .string(id.rawValue), "type": .optional(type),
            "api_size": apiSize.map(JSONValue.int) ?? .null, "status": .string(status.rawValue),
        ]
        if status == .ok {
            members["file"] = .optional(file)
            members["bytes"] = bytes.map(JSONValue.int) ?? .null
            members["sha256"] = .optional(sha256)
            members["detected_type"] = .optional(detectedType)
            members["url"] = .optional(url)
        } else {
            members["file"] = .null
            members["http_status"] = httpStatus.map { .int(Int64($0)) } ?? .null
            members["url"] = .optional(url)
            members["seen_at"] = seenAt.map { .string(Timestamp.iso8601($0)) } ?? .null
            if status == .sizeMismatch {
                members["bytes"] = bytes.map(JSONValue.int) ?? .null
                members["kept_aside"] = .optional(keptAside)
            }
        }
        if let removedUpstreamAt { members["removed_upstream_at"] = .string(Timestamp.iso8601(removedUpstreamAt)) }
        return .object(members)
    }
}

/// `metadata_<ID>.json`, typed (docs/archive-format.md). `AlbumFolder` reads and writes it.
public struct AlbumMetadata: Sendable, Equatable {
    /// The layout this version writes. A reader refuses any newer one (`FormatError.newerSchema`).
    public static let schemaVersion: Int64 = 1
    /// What a reader wants first; the raw API object comes last.
    public static let keyOrder = [
        "schema_version", "kind", "id", "title", "description", "published", "media_count", "status", "archived_at",
        "source_url", "comments_file", "comment_count", "media", "refused", "api",
    ]

    public var kind: AlbumKind
    public var id: ImgurID
    public var title: String?
    public var description: String?
    /// The album's `datetime`, unix seconds.
    public var published: Int64?
    public var status: AlbumStatus
    public var archivedAt: Date
    public var sourceURL: String
    /// One record per position, in album order (empty when they are in `spooledMedia`).
    public var media: [MediaRecord]
    /// The records on disk instead (the first archiving of a large album); read them through
    /// `forEachMedia`.
    public var spooledMedia: MediaRecordSpool?
    /// The album (or image) object exactly as the API returned it; without its `images` when
    /// those are in `apiImages`.
    public var api: JSONValue
    /// A long `api.images`, kept on disk (an album of 300,000 images; docs/design.md, "One large
    /// album"); nil when `api` holds its images itself. Read them through `forEachAPIImage`.
    public var apiImages: ImageList?
    /// With `--comments`: how many top-level comments `comments_<ID>.json` holds.
    public var commentCount: Int?
    /// Items of the API's image list that were not usable media (no valid id), and why: the rest of
    /// the album was kept (docs/archive-format.md).
    public var refused: [RefusedItem] = []
    /// Members this version does not know, kept as they were.
    public var unknownMembers: [String: JSONValue] = [:]

    public init(
        kind: AlbumKind, id: ImgurID, title: String?, description: String?, published: Int64?, status: AlbumStatus,
        archivedAt: Date, sourceURL: String, media: [MediaRecord], api: JSONValue, commentCount: Int? = nil
    ) {
        self.kind = kind
        self.id = id
        self.title = title
        self.description = description
        self.published = published
        self.status = status
        self.archivedAt = archivedAt
        self.sourceURL = sourceURL
        self.media = media
        self.api = api
        self.commentCount = commentCount
    }

    public var mediaCount: Int { spooledMedia?.count ?? media.count }

    /// Each media record, in album order (from `spooledMedia` when on disk).
    public func forEachMedia(_ body: (MediaRecord) throws -> Void) throws {
        if let spooledMedia { return try spooledMedia.forEach(body) }
        for record in media { try body(record) }
    }

    /// Each of the API's image objects, in its order: `api.images` of an album (from `apiImages`
    /// when kept on disk), `api` itself for a single image.
    public func forEachAPIImage(_ body: (JSONValue) throws -> Void) throws {
        if let apiImages { return try apiImages.forEach(body) }
        if let images = api["images"]?.arrayValue {
            for image in images { try body(image) }
        } else if api["id"] != nil {
            try body(api)
        }
    }
    public var commentsFile: String? { commentCount == nil ? nil : "comments_\(id.rawValue).json" }

    /// The status the records add up to: `metadata-only` while any was left out, `partial` when
    /// Imgur lost any, else `complete`.
    public static func status(of media: [MediaRecord]) -> AlbumStatus {
        if media.contains(where: { $0.status == .sizeMismatch }) { return .incomplete }
        if media.contains(where: { $0.status == .notDownloaded }) { return .metadataOnly }
        return media.contains(where: { $0.status.isLost }) ? .partial : .complete
    }

    /// Media ids Imgur no longer serves, in album order.
    public var lostMedia: [String] {
        var lost: [String] = []
        // A spool that cannot be read back fails the documents' write too, which comes first.
        try? forEachMedia { if $0.status.isLost { lost.append($0.id.rawValue) } }
        return lost
    }

    /// Stored files by name, each once (a media at two positions is stored once).
    public var storedFiles: [String: MediaRecord] { storedFileIndex.mapValues { media[$0] } }

    /// Where in `media` each stored file's record is, by name: a table of indexes, not of record
    /// copies (a refresh of a large album holds it beside the records).
    public var storedFileIndex: [String: Int] {
        var files: [String: Int] = [:]
        for (index, record) in media.enumerated() where record.status == .ok {
            if let file = record.file, files[file] == nil { files[file] = index }
        }
        return files
    }

    public var json: JSONValue { .object(json(withMedia: true)) }

    /// The document's members (`media` left out when the writer streams it record by record).
    func json(withMedia: Bool) -> [String: JSONValue] {
        var members = unknownMembers
        members["schema_version"] = .int(Self.schemaVersion)
        members["kind"] = .string(kind.rawValue)
        members["id"] = .string(id.rawValue)
        members["title"] = .optional(title)
        members["description"] = .optional(description)
        members["published"] = published.map { .string(Timestamp.iso8601(unix: $0)) } ?? .null
        members["media_count"] = .int(Int64(mediaCount))
        members["status"] = .string(status.rawValue)
        members["archived_at"] = .string(Timestamp.iso8601(archivedAt))
        members["source_url"] = .string(sourceURL)
        if withMedia {
            var records: [JSONValue] = []
            try? forEachMedia { records.append($0.json) }
            members["media"] = .array(records)
        }
        members["api"] = api
        if !refused.isEmpty {
            members["refused"] = .array(refused.map { ["index": .int(Int64($0.index)), "reason": .string($0.reason)] })
        }
        if let commentCount, let commentsFile {
            members["comments_file"] = .string(commentsFile)
            members["comment_count"] = .int(Int64(commentCount))
        }
        return members
    }
}
