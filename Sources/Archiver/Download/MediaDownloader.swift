import ArchiveFormat
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs
import Synchronization

/// Fetches one media file into its album folder: streamed, hashed while it arrives, resumed with
/// `Range` after any interruption, retried with backoff, never saved unless it is the real media.
struct MediaDownloader: Sendable {
    let transport: any HTTPTransport
    /// Shared by every download of the run: at most `--jobs` transfers at once. A place is held for
    /// the transfer only; flushing the finished file to disk happens outside it (holding it there
    /// left half of the places waiting on the disk: about 4 of 8 transfers in flight, measured).
    let transfers: AsyncLimiter
    let retrier: Retrier
    let settings: DownloadSettings
    let now: @Sendable () -> Date
    /// Called with the size of every chunk written (progress display).
    let onBytes: @Sendable (Int) -> Void
    /// Called when a file has been stored under its final name.
    let onFileStored: @Sendable () -> Void
    /// Called once per file with the bytes an earlier run left, resumed rather than received again.
    var onResumed: @Sendable (Int64) -> Void = { _ in }
    /// `--limit-rate`: shared by every download of the run.
    var limitRate: ByteRate?

    /// - Parameter quarantine: where a file whose size disagrees with the API to the last attempt is
    ///   kept (`quarantine/<ID>/`), and its name relative to the storage directory.
    func download(_ job: MediaJob, quarantine: @escaping @Sendable () throws -> (Directory, String)) async throws
        -> MediaOutcome
    {
        let pace = DownloadPace(settings: settings)
        do {
            return try await attempts(job, pace: pace)
        } catch ArchiveError.sizeMismatch(let url, _, let received) {
            // Every attempt brought a file of another size than the API's: keep the bytes aside
            // (never under the final name), record both sizes, and try again next run.
            let stamp = Timestamp.compact(now())
            let kept = try await BlockingIO.run { () throws -> String? in
                guard job.folder.fileSize(MediaSink.mismatchName(job.fileName)) != nil else { return nil }
                let (folder, relative) = try quarantine()
                let name = try job.folder.moveAside(
                    MediaSink.mismatchName(job.fileName), into: folder, as: "\(job.fileName).size-mismatch-\(stamp)")
                return "\(relative)/\(name)"
            }
            var unavailable = UnavailableMedia(status: .sizeMismatch, httpStatus: 200, url: url, seenAt: now())
            unavailable.bytes = received
            unavailable.keptAside = kept
            return .unavailable(unavailable)
        }
    }

    private func attempts(_ job: MediaJob, pace: DownloadPace) async throws -> MediaOutcome {
        let memory = Mutex<(point: ResumePoint?, first: Bool)>((nil, true))
        return try await retrier.run(job.subject, progress: { job.folder.fileSize(job.partialName) ?? 0 }) {
            if let slow = pace.tooSlow(job.source.url.absoluteString) { throw slow }
            let (remembered, first) = memory.withLock { state in
                defer { state.first = false }
                return state
            }
            let start = try await BlockingIO.run { try resumePoint(job, remembered: remembered) }
            if first, start.offset > 0 { onResumed(start.offset) }
            let sink = MediaSink(job: job, resume: start, pace: pace, settings: settings, rate: limitRate, onBytes: onBytes)
            do {
                _ = try await transfers.withPlace { try await transport.stream(request(job, from: start), into: sink) }
                let finished = now()
                let outcome = try await BlockingIO.run { try sink.finish(now: finished) }
                if case .stored = outcome { onFileStored() }
                return outcome
            } catch {
                switch error {
                case ArchiveError.notMedia, ArchiveError.resumeMismatch, ArchiveError.tooLarge:
                    sink.discardPartial()
                default:
                    sink.abandon()
                }
                memory.withLock { $0.point = sink.resumePoint }
                throw error
            }
        }
    }

    /// On `--refresh`, for a file kept on disk: whether its link now answers with Imgur's
    /// placeholder (a redirect to `removed.png`). One HEAD, no body; false when the question
    /// cannot be answered (the file is kept either way).
    func servesPlaceholder(_ job: MediaJob) async -> Bool {
        let request = HTTPRequest(
            url: job.source.url, method: "HEAD", headers: ["Accept": "*/*"], idleTimeout: settings.idleTimeout,
            deadline: settings.deadline, maxRedirects: settings.maxRedirects, stopRedirectsToPathSuffixes: ["/removed.png"])
        guard let response = try? await transfers.withPlace({ try await transport.fetch(request, maxBodyBytes: 0) }) else { return false }
        // Only the placeholder's redirect counts: a 404 may be an edge's hiccup, and what is
        // recorded here is recorded for good.
        if (300..<400).contains(response.status), let location = response.head.headers["location"],
            let url = URL(string: location, relativeTo: job.source.url), url.path.hasSuffix("/removed.png")
        {
            return true
        }
        return response.head.url.path.hasSuffix("/removed.png")
    }

    private func request(_ job: MediaJob, from start: ResumePoint) -> HTTPRequest {
        // Never the Authorization header: the CDN needs none and must not see the client id.
        // `identity`, so that byte offsets are offsets in the file.
        var headers = ["Accept": "*/*", "Accept-Encoding": "identity"]
        if start.offset > 0 {
            headers["Range"] = "bytes=\(start.offset)-"
            headers["If-Range"] = start.validator
        }
        return HTTPRequest(
            url: job.source.url, headers: headers, idleTimeout: settings.idleTimeout, deadline: settings.deadline,
            maxRedirects: settings.maxRedirects, stopRedirectsToPathSuffixes: ["/removed.png"])
    }

    /// Where the next attempt starts: after the bytes of a partial file that belongs to this URL,
    /// with the hash state over them (from memory within a run, read back from disk after a restart).
    private func resumePoint(_ job: MediaJob, remembered: ResumePoint?) throws -> ResumePoint {
        let folder = job.folder
        // Without a validator for `If-Range` a changed file could be spliced onto the old bytes:
        // such a partial file is fetched again from the start.
        guard let size = folder.fileSize(job.partialName), size > 0,
            let state = ResumeState.load(job.stateName, in: folder), state.url == job.source.url.absoluteString,
            let validator = state.validator
        else {
            folder.remove(job.partialName)
            folder.remove(job.stateName)
            return .fresh
        }
        var point = try remembered.flatMap { $0.offset == size ? $0 : nil } ?? Self.hashPrefix(of: job.partialName, in: folder)
        point.validator = validator
        point.length = state.length
        return point
    }

    /// Hashes what a previous run left in a partial file, so the digest still covers the whole file.
    /// The offset is the bytes hashed, so the two always agree.
    static func hashPrefix(of name: String, in folder: Directory) throws -> ResumePoint {
        let result = try SHA256.hashFile(name, in: folder)
        return ResumePoint(
            offset: result.bytes, hasher: result.hasher, validator: nil, length: nil, firstBytes: result.firstBytes)
    }
}
