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
    /// - Throws: `FormatError.invalidLog` when it is damaged anywhere else (left untouched), or `FileError`.
    public static func open(in layout: StorageLayout, now: Date = Date()) throws -> Catalog {
        do {
            return Catalog(log: try AppendLog.open(StorageLayout.catalogName, in: layout.directory, now: now))
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

    /// Whether a run fetching `scope` can skip `id` without asking Imgur.
    public func isDone(_ id: ImgurID, for scope: ArchiveScope) -> Bool {
        guard let summary = summary(id) else { return false }
        return summary.status?.isDone(for: scope) ?? true
    }

    /// Adds (or updates) one entry, durably (`AppendLog.append`).
    public func append(_ entry: CatalogEntry) throws(FileError) {
        lock.lock()
        defer { lock.unlock() }
        try log.append(entry)
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
