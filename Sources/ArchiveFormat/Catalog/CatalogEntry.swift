import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI

/// One album's line in `scraping_logs.json` (docs/archive-format.md, "the catalog").
public struct CatalogEntry: Sendable, Equatable {
    public var id: ImgurID
    public var status: AlbumStatus
    public var kind: AlbumKind
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
    /// Items of the API's answer that could not be kept (no valid id).
    public var refused = 0
    /// For `unavailable`: what Imgur was asked for and answered 404 to (a bare id is asked as an
    /// album, then as an image). An entry never stands for a lookup it did not make.
    public var notFoundAs: AlbumKinds = []

    public init(
        id: ImgurID, status: AlbumStatus, kind: AlbumKind = .album, title: String? = nil, published: Int64? = nil,
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

    /// The entry of a finished folder: what its metadata says.
    public init(_ metadata: AlbumMetadata, status: AlbumStatus? = nil) {
        self.init(
            id: metadata.id, status: status ?? metadata.status, kind: metadata.kind, title: metadata.title.map(Self.summaryTitle),
            published: metadata.published, mediaCount: metadata.mediaCount, recordedAt: metadata.archivedAt,
            missing: metadata.lostMedia)
        refused = metadata.refused.count
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(id.rawValue),
            "status": .string(status.rawValue),
            "kind": .string(kind.rawValue),
        ]
        if status == .unavailable {
            members["checked_at"] = .string(Timestamp.iso8601(recordedAt))
            members["reason"] = .optional(reason)
            if let text = notFoundAs.text { members["not_found_as"] = .string(text) }
        } else {
            members["title"] = .optional(title.map(Self.summaryTitle))
            members["published"] = published.map { .string(Timestamp.iso8601(unix: $0)) } ?? .null
            members["media_count"] = .int(Int64(mediaCount))
            members["archived_at"] = .string(Timestamp.iso8601(recordedAt))
            if !missing.isEmpty { members["missing"] = .array(missing.map(JSONValue.string)) }
            if refused > 0 { members["refused"] = .int(Int64(refused)) }
        }
        return .object(members)
    }
}

extension CatalogEntry {
    /// The catalog is a summary: a title longer than this is cut there (the album's metadata keeps
    /// all of it), so a 31 MB title makes neither the catalog nor memory grow.
    public static let maxTitleLength = 300

    static func summaryTitle(_ title: String) -> String {
        title.count <= maxTitleLength ? title : String(title.prefix(maxTitleLength - 1)) + "…"
    }
}

extension CatalogEntry: AppendLogRecord {
    /// What the catalog keeps in memory of every album: a few bytes, not the entry.
    public struct Summary: Sendable, Equatable {
        /// nil when the entry's status is not one this version knows (kept, never overwritten).
        public var status: AlbumStatus?
        public var kind: AlbumKind?
        /// For `unavailable`: the lookups Imgur answered 404 to (older entries: their kind).
        public var notFoundAs: AlbumKinds
        /// For `unavailable`: when that was found, unix seconds.
        public var checkedAt: Int64?

        public init(status: AlbumStatus?, kind: AlbumKind?, notFoundAs: AlbumKinds = [], checkedAt: Int64? = nil) {
            self.status = status
            self.kind = kind
            self.notFoundAs = notFoundAs
            self.checkedAt = checkedAt
        }
    }

    public static var logName: String { "catalog" }
    public var logKey: String { id.rawValue }
    public var summary: Summary {
        guard status == .unavailable else { return Summary(status: status, kind: kind) }
        return Summary(
            status: status, kind: kind, notFoundAs: notFoundAs.isEmpty ? AlbumKinds(kind) : notFoundAs,
            checkedAt: Int64(recordedAt.timeIntervalSince1970.rounded(.down)))
    }

    public static func isValidKey(_ key: String) -> Bool { ImgurID.isValid(key) }

    /// Here, not in `AppendLog`'s generic default, so that the table's code is specialised: a
    /// 100,000-entry catalog opens in a fraction of the time (docs/performance.md, "Catalog").
    public static func index(_ key: String, object: UnsafeBufferPointer<UInt8>, into summaries: inout [String: Summary]) {
        summaries[key] = summary(ofObject: object)
    }

    public static func summary(ofObject object: UnsafeBufferPointer<UInt8>) -> Summary {
        // Read from the line's bytes without building the entry's value: one pass, which stops
        // once both are found (the only reader of a summary from a catalog line). A member
        // repeated within a line counts once, its first (the writer never repeats one); a later
        // line of the same id replaces the whole summary.
        let members = JSONSyntax.stringMembers("kind", "status", in: object, from: 0)
        let kind = members.0.flatMap(AlbumKind.init(rawValue:)) ?? .album
        let status = members.1.flatMap(AlbumStatus.init(rawValue:))
        guard status == .unavailable else { return Summary(status: status, kind: kind) }
        let more = JSONSyntax.stringMembers("not_found_as", "checked_at", in: object, from: 0)
        let asked = more.0.map(AlbumKinds.init(text:)) ?? []
        return Summary(
            status: status, kind: kind, notFoundAs: asked.isEmpty ? AlbumKinds(kind) : asked,
            checkedAt: more.1.flatMap(Timestamp.unix))
    }
}

extension CatalogEntry.Summary {
    /// Whether a run fetching `scope` can skip this entry when it would ask Imgur for `kinds`; nil
    /// when it must ask. An `unavailable` entry only stands for the lookups it made: an id found
    /// missing as an album is still asked for as an image.
    public func recorded(for scope: ArchiveScope, asking kinds: AlbumKinds) -> Catalog.Recorded? {
        guard let status else { return .archived }
        guard status.isDone(for: scope) else { return nil }
        guard status == .unavailable else { return .archived }
        return notFoundAs.isSuperset(of: kinds) ? .unavailable(checkedAt: checkedAt) : nil
    }
}

/// A set of `AlbumKind`s in one byte: what a lookup asked Imgur for.
public struct AlbumKinds: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let album = AlbumKinds(rawValue: 1)
    public static let image = AlbumKinds(rawValue: 2)

    public init(_ kind: AlbumKind) {
        self = kind == .image ? .image : .album
    }

    /// `album`, `image` or `album or image`, as `not_found_as` writes it.
    public init(text: String) {
        self = []
        if text.contains("album") { insert(.album) }
        if text.contains("image") { insert(.image) }
    }

    public var text: String? {
        switch (contains(.album), contains(.image)) {
        case (true, true): "album or image"
        case (true, false): "album"
        case (false, true): "image"
        case (false, false): nil
        }
    }
}

extension CatalogEntry {
    /// The entry of a folder a crash kept out of the catalog: its metadata says it is finished
    /// (complete, partial or metadata-only) and every stored file is there at its recorded size.
    /// Found without asking Imgur.
    public static func recovered(_ id: ImgurID, in layout: StorageLayout) -> CatalogEntry? {
        guard let folder = try? layout.albumFolder(id), folder.exists(StorageLayout.metadataName(id)) else { return nil }
        let reading = AlbumFolder.read(id, in: folder)
        guard let metadata = reading.metadata, !reading.namesAnotherAlbum, metadata.status != .unavailable,
            metadata.status != .mediaOnly
        else { return nil }
        for (name, record) in metadata.storedFiles where folder.fileSize(name) != record.bytes {
            return nil
        }
        return CatalogEntry(metadata)
    }
}

extension CatalogEntry {
    /// An entry read back from a catalog (`merge`); nil when it lacks an id or a status.
    public init?(json entry: JSONValue) {
        guard let id = entry["id"]?.stringValue.flatMap(ImgurID.init),
            let status = entry["status"]?.stringValue.flatMap(AlbumStatus.init(rawValue:))
        else { return nil }
        let kind = entry["kind"]?.stringValue.flatMap(AlbumKind.init(rawValue:)) ?? .album
        let at = (entry["archived_at"] ?? entry["checked_at"])?.stringValue.flatMap(Timestamp.date) ?? Date(timeIntervalSince1970: 0)
        self.init(
            id: id, status: status, kind: kind, title: entry["title"]?.stringValue,
            published: entry["published"]?.stringValue.flatMap(Timestamp.unix), mediaCount: Int(entry["media_count"]?.int64Value ?? 0),
            recordedAt: at, missing: entry["missing"]?.arrayValue?.compactMap(\.stringValue) ?? [], reason: entry["reason"]?.stringValue)
        refused = Int(entry["refused"]?.int64Value ?? 0)
        notFoundAs = entry["not_found_as"]?.stringValue.map(AlbumKinds.init(text:)) ?? []
    }
}
