import ArchiveFormat
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// Archives planned work: up to twice `--jobs` albums in flight, each started only while the
/// rate-limit budget allows, committed to the catalog in input order.
public struct AlbumScheduler: Sendable {
    /// How the scheduled work ended.
    public struct Outcome: Sendable {
        public var tally: Tally
        /// SIGINT or SIGTERM cancelled the run.
        public var interrupted: Bool
        /// What stopped the run for every album (a client id Imgur refuses, a failing disk).
        public var fatalError: (any Error & Sendable)?
    }

    let services: ArchiveServices
    let request: ArchiveRequest
    let catalog: Catalog

    public init(services: ArchiveServices, request: ArchiveRequest, catalog: Catalog) {
        self.services = services
        self.request = request
        self.catalog = catalog
    }

    /// Albums in flight for `jobs` transfers: albums waiting for their API answer or flushing their
    /// last file must not leave transfer places idle; transfers themselves never exceed `jobs`.
    public static func albumWindow(jobs: Int) -> Int { jobs * 2 }

    public func run(_ plan: Planner.Plan) async throws(FileError) -> Outcome {
        let committer = AlbumCommitter(catalog: catalog, events: services.events, tally: plan.tally)
        let archiver = services.archiver(request)
        let budget = services.budget
        let events = services.events
        let now = services.now
        let work = plan.work
        let stop = await WorkWindow.run(
            work, window: Self.albumWindow(jobs: request.jobs), firstAlone: budget.firstAnswer,
            mayStart: { budget.exhausted(inFlight: $0) }, halted: { committer.fatalError != nil },
            work: { index, item in
                let result = await Self.archiveOne(item, archiver: archiver, budget: budget, now: now)
                events.itemFinished()
                committer.commit(index, item.id, result)
            })
        if case .refused(let exhausted, let next)? = stop {
            let count = work.count - next
            committer.record(deferred: count)
            var text = "\(count) \(count == 1 ? "album" : "albums") deferred: \(exhausted.reason)"
            if let reset = exhausted.resetAt { text += "; the limit resets at \(Timestamp.iso8601(reset))" }
            events.warning(text + "; run again later to continue")
        }
        var interrupted = false
        if case .cancelled? = stop { interrupted = true }
        let tally = try await committer.finish()
        return Outcome(tally: tally, interrupted: interrupted, fatalError: committer.fatalError)
    }

    static func archiveOne(
        _ item: WorkItem, archiver: AlbumArchiver, budget: RateLimitBudget, now: @Sendable () -> Date
    ) async -> AlbumResult {
        if case .recovered(let entry) = item.source { return .recovered(entry) }
        do {
            return .archived(try await archiver.archive(item))
        } catch let error as ImgurAPIError {
            switch error {
            case .notFound:
                // With `--refresh` or `verify --repair`, an album Imgur deleted may already be in the
                // archive: that copy, and its catalog entry, are what the archive is for.
                let layout = archiver.layout
                let archived = try? await BlockingIO.run {
                    (try? layout.albumFolder(item.id))?.exists(StorageLayout.metadataName(item.id)) == true
                }
                if archived == true {
                    return .goneFromImgur(error.description)
                }
                var entry = CatalogEntry(
                    id: item.id, status: .unavailable, kind: item.lookups == .image ? .image : .album,
                    recordedAt: now(), reason: error.description)
                entry.notFoundAs = item.lookups
                return .unavailable(entry)
            case .invalidClientID:
                return .fatal(error)
            case .rateLimited(_, _, let resetAt):
                budget.block("Imgur answered 429 Too Many Requests", resetAt: resetAt)
                return .deferred(error.description)
            default:
                return .failed(error.description, temporary: error.isTransient)
            }
        } catch let error as ArchiveError {
            // A file that comes too slowly waits for the next run (exit 75).
            if case .tooSlow = error { return .deferred(error.description) }
            return .failed(error.description, temporary: error.isTransient)
        } catch let error as FileError {
            if case .write = error { return .fatal(error) }
            return .failed(error.description, temporary: false)
        } catch let error as any RetryableError {
            return .failed("\(error)", temporary: error.isTransient)
        } catch is CancellationError {
            return .cancelled
        } catch {
            return .failed("\(error)", temporary: false)
        }
    }
}
