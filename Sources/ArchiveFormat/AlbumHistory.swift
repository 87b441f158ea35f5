import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI

/// `history_<ID>.json`: what changed on Imgur between archiving runs of an album, oldest first,
/// append-only (an `AppendLog` keyed by a sequence number; docs/archive-format.md). Together with
/// the media records Imgur no longer lists (kept, marked `removed_upstream_at`), nothing an earlier
/// run archived is lost when the album changes.
public struct AlbumChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case titleChanged = "title_changed"
        case descriptionChanged = "description_changed"
        case mediaAdded = "media_added"
        /// Imgur no longer lists the media; its file and record are kept.
        case mediaRemoved = "media_removed"
        /// Still listed, but its link now answers with Imgur's placeholder (or 404): the archived
        /// file is kept.
        case mediaPlaceholderServed = "media_placeholder_served"
        case mediaTitleChanged = "media_title_changed"
        case mediaDescriptionChanged = "media_description_changed"
        case reordered
    }

    public var kind: Kind
    public var at: Date
    /// The media the change is about (nil for the album's own texts and order).
    public var media: ImgurID?
    /// What it was and what it is now (texts, or the order as a list of ids).
    public var from: JSONValue
    public var to: JSONValue

    public init(_ kind: Kind, at: Date, media: ImgurID? = nil, from: JSONValue = .null, to: JSONValue = .null) {
        self.kind = kind
        self.at = at
        self.media = media
        self.from = from
        self.to = to
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "change": .string(kind.rawValue), "at": .string(Timestamp.iso8601(at)), "from": from, "to": to,
        ]
        if let media { members["media"] = .string(media.rawValue) }
        return .object(members)
    }

    init?(json: JSONValue) {
        guard let kind = json["change"]?.stringValue.flatMap(Kind.init(rawValue:)),
            let at = json["at"]?.stringValue.flatMap(Timestamp.date)
        else { return nil }
        self.init(
            kind, at: at, media: json["media"]?.stringValue.flatMap(ImgurID.init), from: json["from"] ?? .null,
            to: json["to"] ?? .null)
    }

    /// What changed between the archived metadata and Imgur's answer now (media that Imgur no
    /// longer lists are `mediaRemoved`; the caller keeps their records).
    public static func between(_ old: AlbumMetadata, _ new: AlbumMetadata, at date: Date) throws -> [AlbumChange] {
        var changes: [AlbumChange] = []
        try forEach(between: old, new, at: date) { changes.append($0) }
        return changes
    }

    /// `between`, each change handed to `body` as it is found. The new records are read once, in
    /// album order (from disk when they are there): memory grows with the old album, never with
    /// what Imgur lists now (docs/design.md, "One large album").
    static func forEach(between old: AlbumMetadata, _ new: AlbumMetadata, at date: Date, _ body: (AlbumChange) throws -> Void) throws {
        if old.title != new.title { try body(.init(.titleChanged, at: date, from: .optional(old.title), to: .optional(new.title))) }
        if old.description != new.description {
            try body(.init(.descriptionChanged, at: date, from: .optional(old.description), to: .optional(new.description)))
        }
        // Indexes, not copies of the records: the table of a large album is a fraction of its records.
        var oldByID: [ImgurID: Int] = [:]
        oldByID.reserveCapacity(old.media.count)
        for (index, record) in old.media.enumerated() where oldByID[record.id] == nil { oldByID[record.id] = index }
        // The old media listed again, and their order now.
        var listed = Set<ImgurID>()
        var order: [ImgurID] = []
        try new.forEachMedia { record in
            guard let before = oldByID[record.id].map({ old.media[$0] }) else {
                try body(.init(.mediaAdded, at: date, media: record.id, to: .int(Int64(record.position))))
                return
            }
            listed.insert(record.id)
            order.append(record.id)
            if before.title != record.title {
                try body(.init(.mediaTitleChanged, at: date, media: record.id, from: .optional(before.title), to: .optional(record.title)))
            }
            if before.description != record.description {
                try body(.init(.mediaDescriptionChanged, at: date, media: record.id, from: .optional(before.description), to: .optional(record.description)))
            }
        }
        for record in old.media where !listed.contains(record.id) && record.removedUpstreamAt == nil {
            try body(.init(.mediaRemoved, at: date, media: record.id, from: .int(Int64(record.position))))
        }
        let kept = old.media.filter { listed.contains($0.id) }.map(\.id)
        if kept != order {
            try body(.init(.reordered, at: date, from: .array(kept.map { .string($0.rawValue) }), to: .array(order.map { .string($0.rawValue) })))
        }
    }
}

/// One line of `history_<ID>.json`.
struct HistoryEntry: AppendLogRecord {
    struct Summary: Sendable {}

    let sequence: Int
    let change: AlbumChange

    static var logName: String { "history" }
    var logKey: String { String(sequence) }
    var json: JSONValue { change.json }
    var summary: Summary { Summary() }

    static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 12 && key.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func summary(ofObject object: UnsafeBufferPointer<UInt8>) -> Summary { Summary() }
}

extension AlbumFolder {
    public static func historyName(_ id: ImgurID) -> String { "history_\(id.rawValue).json" }

    /// Appends `changes` to the album's history (created on the first change).
    public static func record(_ changes: [AlbumChange], of id: ImgurID, in folder: Directory) throws {
        try record(of: id, in: folder) { append in
            for change in changes { try append(change) }
        }
    }

    /// Appends to the album's history what changed from `old` to `new` (`AlbumChange.between`, in
    /// its order, found as the new records are read), then `extra`.
    public static func recordChanges(
        from old: AlbumMetadata, to new: AlbumMetadata, at date: Date, then extra: [AlbumChange], in folder: Directory
    ) throws {
        try record(of: new.id, in: folder) { append in
            try AlbumChange.forEach(between: old, new, at: date, append)
            for change in extra { try append(change) }
        }
    }

    /// Appends what `changes` hands to `append`; the log is opened on the first.
    private static func record(
        of id: ImgurID, in folder: Directory, _ changes: (_ append: (AlbumChange) throws -> Void) throws -> Void
    ) throws {
        var log: AppendLog<HistoryEntry>?
        defer { log?.close() }
        var sequence = 0
        var appended = 0
        // Flushed every 64 changes and at the end, before the metadata that follows is written: a
        // refresh that found 25,000 changes made 25,000 flushes. At most 64 appends (a few pages)
        // are ever unflushed: a kill leaves every finished append in place, and what a power cut
        // can leave half-written stays within those pages (the next open cuts a torn tail off).
        // The metadata is not written yet then, so the next run finds those changes again.
        try changes { change in
            if log == nil {
                log = try AppendLog<HistoryEntry>.open(historyName(id), in: folder)
                sequence = log?.entryCount ?? 0
            }
            sequence += 1
            appended += 1
            try log?.append(HistoryEntry(sequence: sequence, change: change), durable: appended % 64 == 0)
        }
        try log?.sync()
    }

    /// The album's recorded changes, oldest first (none when it has no history).
    public static func history(of id: ImgurID, in folder: Directory) -> [AlbumChange] {
        guard folder.exists(historyName(id)) else { return [] }
        var changes: [AlbumChange] = []
        try? AppendLog<HistoryEntry>.forEachEntry(historyName(id), in: folder) { _, value in
            if let change = AlbumChange(json: value) { changes.append(change) }
        }
        return changes
    }

    /// `new` with every record of `old` that Imgur no longer lists kept, marked removed upstream on
    /// `date` (or when it first was), at its old place in the order as far as that goes; positions
    /// are numbered again from 1. New records on disk are read twice and the result goes to disk
    /// beside them: memory grows with the old album, never with what Imgur lists now.
    public static func keepingRemoved(_ old: AlbumMetadata?, in new: AlbumMetadata, at date: Date) throws -> AlbumMetadata {
        guard let old else { return new }
        var listed = Set<ImgurID>()
        let known = Set(old.media.map(\.id))
        try new.forEachMedia { if known.contains($0.id) { listed.insert($0.id) } }
        let removed = old.media.enumerated().filter { !listed.contains($0.element.id) }
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }.map(\.element)
        var result = new
        var merged: [MediaRecord] = []
        var spool = try new.spooledMedia.map { try MediaRecordSpool(in: $0.directory) }
        var placed = 0
        func place(_ record: MediaRecord) throws {
            var renumbered = record
            placed += 1
            renumbered.position = placed
            if spool != nil { try spool?.append(renumbered) } else { merged.append(renumbered) }
        }
        /// The removed records whose place comes before the next new record: inserting them one by
        /// one, in order, would have put each at min(position - 1, records placed before it).
        var nextRemoved = 0
        func placeRemoved(all: Bool) throws {
            while nextRemoved < removed.count, all || max(0, removed[nextRemoved].position - 1) <= placed {
                var kept = removed[nextRemoved]
                kept.removedUpstreamAt = kept.removedUpstreamAt ?? date
                try place(kept)
                nextRemoved += 1
            }
        }
        // One pass: inserting each removed record into the array cost a move of every record after
        // it (quadratic when a large album shrank). Records with the same position (only a
        // hand-edited document has them) keep their order; inserting them one by one reversed it.
        if spool == nil { merged.reserveCapacity(new.media.count + removed.count) }
        try new.forEachMedia { record in
            try placeRemoved(all: false)
            try place(record)
        }
        try placeRemoved(all: true)
        (result.media, result.spooledMedia) = (merged, spool)
        return result
    }
}
