import Foundation
import ImgurAPI
import Synchronization

/// Records finished albums in the catalog and prints their lines, in input order whatever order
/// they finish in, so the catalog and the output are the same for any `--jobs`.
///
/// An album that finished while an earlier one is still running waits here; if the process dies
/// meanwhile its folder is complete (metadata written) and the next run recovers it into the
/// catalog without asking Imgur.
///
/// Everything runs on one serial dispatch queue rather than in an actor: each catalog append ends
/// with an fsync, and blocking the cooperative pool (one thread per core) stalls the whole run.
final class Committer: @unchecked Sendable {
    // `catalog`, `pending`, `next` and `tally` are only touched on `queue`; `fatal` is behind its Mutex.
    private let queue = DispatchQueue(label: "imgur-archive.committer")
    private let catalog: CatalogFile
    private let reporter: Reporter
    private var pending: [Int: (ImgurID, AlbumResult)] = [:]
    private var next = 0
    private var tally: Tally
    private let fatal = Mutex<ArchiveError?>(nil)

    init(catalog: sending CatalogFile, reporter: Reporter, tally: Tally) {
        self.catalog = catalog
        self.reporter = reporter
        self.tally = tally
    }

    func commit(_ index: Int, _ id: ImgurID, _ result: AlbumResult) {
        queue.async { [self] in
            pending[index] = (id, result)
            while let (id, result) = pending.removeValue(forKey: next) {
                apply(id, result)
                next += 1
            }
        }
    }

    /// The error that stops the run, as soon as one album met it.
    var fatalError: ArchiveError? { fatal.withLock { $0 } }

    func record(deferred count: Int) {
        queue.async { [self] in tally.deferred += count }
    }

    /// Waits for every commit, drops superseded copies of updated entries (only when this run
    /// updated some), and returns the counts.
    func finish() async throws(ArchiveError) -> Tally {
        let result: Result<Tally, ArchiveError> = await withCheckedContinuation { continuation in
            queue.async { [self] in
                do throws(ArchiveError) {
                    try catalog.compact()
                    continuation.resume(returning: .success(tally))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private func apply(_ id: ImgurID, _ result: AlbumResult) {
        switch result {
        case .archived(let report):
            guard record(report.entry) else { return }
            tally.files += report.fetchedFiles
            tally.bytes += report.fetchedBytes
            let entry = report.entry
            let files = "\(entry.mediaCount) \(entry.mediaCount == 1 ? "file" : "files")"
            let fetched = report.fetchedFiles == entry.mediaCount ? "" : ", \(report.fetchedFiles) new"
            switch entry.status {
            case .complete:
                tally.archived += 1
                reporter.album(.archived, id.rawValue, "\(files)\(fetched), \(Reporter.size(report.fetchedBytes))  \(Reporter.quoted(entry.title))")
            case .metadataOnly, .mediaOnly:
                tally.archived += 1
                let what = entry.status == .metadataOnly ? "documents only, media not fetched" : "media only, no documents yet"
                reporter.album(.archived, id.rawValue, "\(files), \(what)  \(Reporter.quoted(entry.title))")
            default:
                tally.partial += 1
                let kept = entry.mediaCount - entry.missing.count
                reporter.album(.partial, id.rawValue, "\(kept) of \(files); not served by Imgur any more: \(entry.missing.joined(separator: ", "))  \(Reporter.quoted(entry.title))")
            }
        case .unavailable(let entry):
            guard record(entry) else { return }
            tally.unavailable += 1
            reporter.album(.unavailable, id.rawValue, entry.reason ?? "")
        case .goneFromImgur(let reason):
            tally.unavailable += 1
            reporter.album(.unavailable, id.rawValue, "\(reason); the archived copy is kept")
        case .failed(let reason, let temporary):
            if temporary { tally.failedTemporarily += 1 } else { tally.failed += 1 }
            reporter.album(.failed, id.rawValue, reason)
        case .deferred(let reason):
            tally.deferred += 1
            reporter.album(.deferred, id.rawValue, reason)
        case .cancelled:
            tally.cancelled += 1
        case .fatal(let error):
            fatal.withLock { $0 = $0 ?? error }
            tally.failed += 1
            reporter.album(.failed, id.rawValue, "\(error)")
        }
    }

    /// Appends to the catalog; a write error becomes the run's fatal error.
    private func record(_ entry: CatalogEntry) -> Bool {
        do {
            try catalog.append(entry)
            return true
        } catch {
            fatal.withLock { $0 = $0 ?? error }
            tally.failed += 1
            reporter.album(.failed, entry.id.rawValue, "\(error)")
            return false
        }
    }
}
