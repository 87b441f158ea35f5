import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI

/// `scraping_logs.json`: every album archived, one entry per line (an `AppendLog` of `CatalogEntry`;
/// docs/archive-format.md, "the catalog").
///
/// Shared by the planner (which reads it) and the committer's queue (which appends): every use goes
/// through one lock, hence `@unchecked Sendable`.
public final class Catalog: @unchecked Sendable {
    private let log: AppendLog<CatalogEntry>
    private let lock = NSLock()

    private init(log: AppendLog<CatalogEntry>) {
        self.log = log
    }

    /// Opens the catalog of `layout`, creating it when missing and repairing a torn tail.
    /// - Parameter indexed: false for a catalog that is only appended to, whose `contains`,
    ///   `summary`, `recorded` and `ids` may not be asked: memory then stays flat in the number of
    ///   entries (`merge`, which finds each id's entries by sorting, `Merger`).
    /// - Throws: `FormatError.invalidLog` when it is damaged anywhere else (left untouched), or `FileError`.
    public static func open(in layout: StorageLayout, now: Date = Date(), indexed: Bool = true) throws -> Catalog {
        do {
            return Catalog(log: try AppendLog.open(StorageLayout.catalogName, in: layout.directory, now: now, indexed: indexed))
        } catch let damage as AppendLog<CatalogEntry>.Damage {
            throw FormatError.invalidLog(path: damage.path, line: damage.line, reason: damage.reason)
        }
    }

    public var path: String { log.path }
    /// What opening had to repair, for the user; nil when nothing.
    public var repairNote: String? { locked { log.repairNote } }
    public var entryCount: Int { locked { log.entryCount } }
    public var duplicateCount: Int { locked { log.duplicateCount } }
    public var ids: Set<String> { locked { Set(log.summaries.keys) } }

    public func contains(_ id: ImgurID) -> Bool { locked { log.contains(id.rawValue) } }

    /// The status and kind the catalog records for `id`.
    public func summary(_ id: ImgurID) -> CatalogEntry.Summary? { locked { log.summary(id.rawValue) } }

    /// What lets a run skip an id without asking Imgur (`CatalogEntry.Summary.recorded`).
    public enum Recorded: Sendable, Equatable {
        /// Archived (for this run's scope), or an entry of a status this version does not know.
        case archived
        /// Imgur answered 404 to every lookup this one would make, at this time (unix seconds).
        case unavailable(checkedAt: Int64?)
    }

    /// Whether a run fetching `scope` can skip `id` when it would ask Imgur for `kinds`; nil when it
    /// must ask. An `unavailable` entry only stands for the lookups it made: an id found missing as
    /// an album is still asked for as an image.
    public func recorded(_ id: ImgurID, for scope: ArchiveScope, asking kinds: AlbumKinds) -> Recorded? {
        summary(id)?.recorded(for: scope, asking: kinds)
    }

    /// Every entry's summary, read without opening the catalog for writing (`--dry-run`, verify).
    public static func summaries(in layout: StorageLayout) throws -> [ImgurID: CatalogEntry.Summary] {
        // Each line's summary read from its bytes, a later line of an id replacing an earlier one
        // (the newest wins, as in `open`): one pass, no entry parsed (docs/performance.md, "Catalog").
        var summaries: [ImgurID: CatalogEntry.Summary] = [:]
        try forEachEntryLine(in: layout) { id, _, value in summaries[id] = CatalogEntry.summary(ofObject: value) }
        return summaries
    }

    /// Adds (or updates) one entry, durably unless `durable` is false (`AppendLog.append`).
    /// - Parameter verbatim: the entry's line in another catalog (`merge`), kept byte for byte with
    ///   any member this version does not know.
    public func append(_ entry: CatalogEntry, verbatim: [UInt8]? = nil, durable: Bool = true) throws(FileError) {
        lock.lock()
        defer { lock.unlock() }
        try log.append(entry, verbatim: verbatim, durable: durable)
    }

    /// Makes every entry appended so far durable.
    public func sync() throws(FileError) {
        lock.lock()
        defer { lock.unlock() }
        try log.sync()
    }

    /// Drops superseded copies of updated entries (one pass; only when there are some).
    public func compact() throws(FileError) {
        lock.lock()
        defer { lock.unlock() }
        try log.compact()
    }

    /// Closes the catalog (and releases its lock on the file).
    public func close() {
        locked { log.close() }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Every entry line of the catalog of `layout`, in file order, superseded copies included: its
    /// id, line number and value's bytes (`AppendLog.forEachEntryLine`). No catalog is an empty one.
    public static func forEachEntryLine<Failure: Error>(
        in layout: StorageLayout,
        _ body: (_ id: ImgurID, _ line: Int, _ value: UnsafeBufferPointer<UInt8>) throws(Failure) -> Void
    ) throws {
        guard layout.directory.exists(StorageLayout.catalogName) else { return }
        try AppendLog<CatalogEntry>.forEachEntryLine(StorageLayout.catalogName, in: layout.directory) {
            (key, line, value) throws(Failure) in
            guard let id = ImgurID(key) else { return true }
            try body(id, line, value)
            return true
        }
    }

    /// Every entry of the catalog of `layout`, in file order, each id once (its newest value), streamed.
    /// No catalog is an empty one.
    public static func forEachEntry<Failure: Error>(
        in layout: StorageLayout, _ body: (ImgurID, JSONValue) throws(Failure) -> Void
    ) throws {
        guard layout.directory.exists(StorageLayout.catalogName) else { return }
        try AppendLog<CatalogEntry>.forEachEntry(StorageLayout.catalogName, in: layout.directory) { (key, value) throws(Failure) in
            guard let id = ImgurID(key) else { return }
            try body(id, value)
        }
    }
}
