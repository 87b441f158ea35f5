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
    public static func between(_ old: AlbumMetadata, _ new: AlbumMetadata, at date: Date) -> [AlbumChange] {
        var changes: [AlbumChange] = []
        if old.title != new.title { changes.append(.init(.titleChanged, at: date, from: .optional(old.title), to: .optional(new.title))) }
        if old.description != new.description {
            changes.append(.init(.descriptionChanged, at: date, from: .optional(old.description), to: .optional(new.description)))
        }
        let oldByID = Dictionary(old.media.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let newIDs = Set(new.media.map(\.id))
        for record in new.media {
            guard let before = oldByID[record.id] else {
                changes.append(.init(.mediaAdded, at: date, media: record.id, to: .int(Int64(record.position))))
                continue
            }
            if before.title != record.title {
                changes.append(.init(.mediaTitleChanged, at: date, media: record.id, from: .optional(before.title), to: .optional(record.title)))
            }
            if before.description != record.description {
                changes.append(.init(.mediaDescriptionChanged, at: date, media: record.id, from: .optional(before.description), to: .optional(record.description)))
            }
        }
        for record in old.media where !newIDs.contains(record.id) && record.removedUpstreamAt == nil {
            changes.append(.init(.mediaRemoved, at: date, media: record.id, from: .int(Int64(record.position))))
        }
        let kept = old.media.filter { newIDs.contains($0.id) }.map(\.id)
        let order = new.media.map(\.id).filter { oldByID[$0] != nil }
        if kept != order {
            changes.append(.init(.reordered, at: date, from: .array(kept.map { .string($0.rawValue) }), to: .array(order.map { .string($0.rawValue) })))
        }
        return changes
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
        guard !changes.isEmpty else { return }
        let log = try AppendLog<HistoryEntry>.open(historyName(id), in: folder)
        defer { log.close() }
        var sequence = log.entryCount
        // Flushed every 64 changes and at the end, before the metadata that follows is written: a
        // refresh that found 25,000 changes made 25,000 flushes. At most 64 appends (a few pages)
        // are ever unflushed: a kill leaves every finished append in place, and what a power cut
        // can leave half-written stays within those pages (the next open cuts a torn tail off).
        // The metadata is not written yet then, so the next run finds those changes again.
        for (index, change) in changes.enumerated() {
            sequence += 1
            try log.append(HistoryEntry(sequence: sequence, change: change), durable: (index + 1) % 64 == 0)
        }
        try log.sync()
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
    /// are numbered again from 1.
    public static func keepingRemoved(_ old: AlbumMetadata?, in new: AlbumMetadata, at date: Date) -> AlbumMetadata {
        guard let old else { return new }
        let listed = Set(new.media.map(\.id))
        let removed = old.media.enumerated().filter { !listed.contains($0.element.id) }
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }.map(\.element)
        // One pass: inserting each removed record into the array cost a move of every record after
        // it (quadratic when a large album shrank). A removed record goes where inserting them one
        // by one, in order, would have put it: at min(position - 1, records placed before it).
        // Records with the same position (only a hand-edited document has them) keep their order;
        // inserting them one by one reversed it.
        var merged: [MediaRecord] = []
        merged.reserveCapacity(new.media.count + removed.count)
        var (nextNew, nextRemoved) = (new.media.startIndex, 0)
        while nextNew < new.media.endIndex || nextRemoved < removed.count {
            if nextRemoved < removed.count,
                nextNew == new.media.endIndex
                    || max(0, removed[nextRemoved].position - 1) <= merged.count
            {
                var kept = removed[nextRemoved]
                kept.removedUpstreamAt = kept.removedUpstreamAt ?? date
                merged.append(kept)
                nextRemoved += 1
            } else {
                merged.append(new.media[nextNew])
                nextNew += 1
            }
        }
        var result = new
        result.media = merged.enumerated().map { index, record in
            var renumbered = record
            renumbered.position = index + 1
            return renumbered
        }
        return result
    }
}
