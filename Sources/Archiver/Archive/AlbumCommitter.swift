import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Jobs
import Synchronization

/// Records finished albums in the catalog and reports their lines, in input order whatever order
/// they finish in, so the catalog and the output are the same for any `--jobs`.
///
/// An album that finished while an earlier one is still running waits here; if the process dies
/// meanwhile its folder is complete (metadata written) and the next run recovers it into the
/// catalog without asking Imgur.
final class AlbumCommitter: Sendable {
    /// The tally is only touched by the queue's handler and `async` blocks; `fatal` is read from
    /// any thread, behind its Mutex.
    private final class Books: @unchecked Sendable {
        let catalog: Catalog
        var tally: Tally
        let fatal = Mutex<(any Error & Sendable)?>(nil)

        init(catalog: Catalog, tally: Tally) {
            self.catalog = catalog
            self.tally = tally
        }
    }

    private let books: Books
    private let queue: InOrderQueue<(ImgurID, AlbumResult)>

    init(catalog: Catalog, events: any RunEvents, tally: Tally) {
        let books = Books(catalog: catalog, tally: tally)
        self.books = books
        queue = InOrderQueue(label: "imgur-archive.committer") { _, value in
            Self.apply(value.0, value.1, books: books, events: events)
        }
    }

    func commit(_ index: Int, _ id: ImgurID, _ result: AlbumResult) {
        queue.submit(index, (id, result))
    }

    /// The error that stops the run, as soon as one album met it.
    var fatalError: (any Error & Sendable)? { books.fatal.withLock { $0 } }

    func record(deferred count: Int) {
        let books = self.books
        queue.async { books.tally.deferred += count }
    }

    /// Waits for every commit, drops superseded copies of updated entries (only when this run
    /// updated some), and returns the counts.
    func finish() async throws(FileError) -> Tally {
        let books = self.books
        let result: Result<Tally, FileError> = await queue.sync {
            do throws(FileError) {
                try books.catalog.compact()
                return .success(books.tally)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func apply(_ id: ImgurID, _ result: AlbumResult, books: Books, events: any RunEvents) {
        func record(_ entry: CatalogEntry) -> Bool {
            do {
                try books.catalog.append(entry)
                return true
            } catch {
                books.fatal.withLock { $0 = $0 ?? error }
                books.tally.failed += 1
                events.result(.failed, entry.id.rawValue, "\(error)")
                return false
            }
        }
        switch result {
        case .archived(let report) where report.entry.status == .incomplete:
            // Kept out of the catalog: the next run fetches the album again.
            books.tally.failed += 1
            books.tally.files += report.fetchedFiles
            books.tally.bytes += report.fetchedBytes
            events.result(.failed, id.rawValue, report.mismatches.joined(separator: "; ") + "; the next run tries again")
        case .archived(let report):
            guard record(report.entry) else { return }
            if report.entry.refused > 0 {
                // The good media are kept; what Imgur's answer got wrong will not fix itself.
                books.tally.failed += 1
                events.error("\(id): \(TextFormat.count(report.entry.refused, "item", "items")) of Imgur's answer could not be kept (no valid media id); see \"refused\" in its metadata")
            }
            books.tally.files += report.fetchedFiles
            books.tally.bytes += report.fetchedBytes
            let entry = report.entry
            let files = TextFormat.count(entry.mediaCount, "file", "files")
            // "N new" only when some files were on disk already (a resumed or refreshed album).
            let fetched = report.reusedFiles == 0 ? "" : ", \(report.fetchedFiles) new"
            switch entry.status {
            case .complete:
                books.tally.archived += 1
                events.result(.archived, id.rawValue, "\(files)\(fetched), \(TextFormat.size(report.fetchedBytes))  \(TextFormat.quoted(entry.title))")
            case .metadataOnly, .mediaOnly:
                books.tally.archived += 1
                let what = entry.status == .metadataOnly ? "documents only, media not fetched" : "media only, no documents yet"
                events.result(.archived, id.rawValue, "\(files), \(what)  \(TextFormat.quoted(entry.title))")
            case .partial, .unavailable, .incomplete:
                books.tally.partial += 1
                let kept = entry.mediaCount - entry.missing.count
                events.result(.partial, id.rawValue, "\(kept) of \(files); not served by Imgur any more: \(entry.missing.joined(separator: ", "))  \(TextFormat.quoted(entry.title))")
            }
        case .recovered(let entry):
            guard record(entry) else { return }
            books.tally.alreadyArchived += 1
            events.result(.alreadyArchived, id.rawValue, "(folder complete; added to the catalog)")
        case .unavailable(let entry):
            guard record(entry) else { return }
            books.tally.unavailable += 1
            events.result(.unavailable, id.rawValue, entry.reason ?? "")
        case .goneFromImgur(let reason):
            books.tally.goneButKept += 1
            events.result(.unavailable, id.rawValue, "\(reason); the archived copy is kept")
        case .failed(let reason, let temporary):
            if temporary { books.tally.failedTemporarily += 1 } else { books.tally.failed += 1 }
            events.result(.failed, id.rawValue, reason)
        case .deferred(let reason):
            books.tally.deferred += 1
            events.result(.deferred, id.rawValue, reason)
        case .cancelled:
            books.tally.cancelled += 1
        case .fatal(let error):
            books.fatal.withLock { $0 = $0 ?? error }
            books.tally.failed += 1
            events.result(.failed, id.rawValue, "\(error)")
        }
    }
}
