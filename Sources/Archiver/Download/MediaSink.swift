import ArchiveFormat
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// Receives one media response: checks it is the media, appends it to the partial file while
/// hashing it, and at the end moves it into place.
///
/// The transport calls `receive` one call at a time on its own thread; `finish` and `abandon` are
/// called by the downloader after the transfer has ended, never concurrently.
final class MediaSink: ResponseSink, @unchecked Sendable {
    private enum Disposition {
        case pending
        case body(total: Int64?)
        case removed(status: Int)
        case missing(status: Int)
        case rangeNotSatisfiable(total: Int64?)
    }

    private let job: MediaJob
    private let resume: ResumePoint
    private let pace: DownloadPace
    private let settings: DownloadSettings
    private let rate: ByteRate?
    private let onBytes: @Sendable (Int) -> Void

    private var disposition = Disposition.pending
    /// Writes and hashes the body on its own queue.
    private var writer: BufferedWriter?
    /// Bytes of the file so far, the resumed ones included.
    private var received: Int64
    private var firstBytes: [UInt8]
    /// Whether the file's first bytes (not the first chunk's: a chunk can be tiny) were checked.
    private var signatureChecked = false
    private var contentType: String?
    private var status = 0
    private var stopped: ResumePoint?

    init(
        job: MediaJob, resume: ResumePoint, pace: DownloadPace, settings: DownloadSettings, rate: ByteRate? = nil,
        onBytes: @escaping @Sendable (Int) -> Void
    ) {
        self.rate = rate
        self.job = job
        self.resume = resume
        self.pace = pace
        self.settings = settings
        self.onBytes = onBytes
        received = resume.offset
        firstBytes = resume.firstBytes
    }

    /// After `abandon()`: the bytes safely in the partial file and the hash over exactly them, to
    /// resume from without reading the file again. (The downloader also checks the file still has
    /// exactly `offset` bytes before using it.)
    var resumePoint: ResumePoint? { stopped }

    private var url: String { job.source.url.absoluteString }

    // MARK: ResponseSink

    func receive(head: HTTPResponseHead) throws {
        status = head.status
        contentType = head.contentType
        switch head.status {
        case 200:
            try checkNotHTML()
            if let length = head.contentLength, length > job.limit {
                throw ArchiveError.tooLarge(url: url, limit: job.limit)
            }
            try startFile(at: .fresh)
            received = 0
            firstBytes = []
            signatureChecked = false
            try ResumeState(url: url, head: head).save(job.stateName, in: job.folder)
            disposition = .body(total: head.contentLength)
        case 206:
            // Only the rest of the very file the partial one began: it starts where that ends,
            // runs to the end, and has a known total, the one the first answer gave where it gave one.
            guard resume.offset > 0, let range = ContentRange(head.headers["content-range"]),
                range.start == resume.offset, let total = range.total, range.end == total - 1,
                resume.isSameFile(total: total)
            else {
                throw ArchiveError.resumeMismatch(
                    url: url, reason: "the partial content is not the rest of the file from byte \(resume.offset)")
            }
            try checkNotHTML()
            if total > job.limit { throw ArchiveError.tooLarge(url: url, limit: job.limit) }
            try startFile(at: resume)
            disposition = .body(total: total)
        case 416:
            disposition = .rangeNotSatisfiable(total: ContentRange(head.headers["content-range"])?.total)
        case 300...399:
            // Only a redirect the transport was told not to follow ends here: `/removed.png`.
            disposition = .removed(status: head.status)
        case 404, 410:
            disposition = .missing(status: head.status)
        default:
            throw ArchiveError.mediaStatus(
                url: url, status: head.status, retryAfter: RetryPolicy.retryAfter(head.headers["retry-after"]))
        }
    }

    func receive(chunk: UnsafeRawBufferPointer) throws {
        guard case .body(let total) = disposition, let writer else { return }
        if firstBytes.count < MediaType.prefixLength {
            firstBytes.append(contentsOf: chunk.prefix(MediaType.prefixLength - firstBytes.count))
        }
        if !signatureChecked && firstBytes.count >= MediaType.prefixLength { try checkSignature() }
        if let total, received + Int64(chunk.count) > total {
            throw HTTPError.incompleteBody(url: url, expected: total, received: received + Int64(chunk.count))
        }
        // A body without a length (or an endless one) stops at the file's limit.
        if received + Int64(chunk.count) > job.limit { throw ArchiveError.tooLarge(url: url, limit: job.limit) }
        // On the transport's thread: while it waits here it reads no more, and TCP slows the server.
        rate?.take(chunk.count)
        try writer.append(chunk)
        received += Int64(chunk.count)
        pace.add(chunk.count)
        if let slow = pace.tooSlow(url) { throw slow }
        onBytes(chunk.count)
    }

    // MARK: After the transfer

    /// Turns a finished transfer into its outcome; moves a complete file into place.
    func finish(now: Date) throws -> MediaOutcome {
        switch disposition {
        case .pending:
            throw HTTPError.connectionFailed(url: url, code: 0, reason: "no response")
        case .removed(let status):
            discardPartial()
            return .unavailable(UnavailableMedia(status: .removed, httpStatus: status, url: url, seenAt: now))
        case .missing(let status):
            discardPartial()
            return .unavailable(UnavailableMedia(status: .missing, httpStatus: status, url: url, seenAt: now))
        case .rangeNotSatisfiable(let total):
            // The partial file may already hold every byte (a crash after the last write).
            guard let total, total == resume.offset, resume.isSameFile(total: total) else {
                discardPartial()
                throw ArchiveError.resumeMismatch(url: url, reason: "the server refused the range; starting over")
            }
            try checkSignature()
            try startFile(at: resume)
            return try moveIntoPlace(total: total)
        case .body(let total):
            if !signatureChecked { try checkSignature() }
            if let total, received != total {
                throw HTTPError.incompleteBody(url: url, expected: total, received: received)
            }
            // No length from the server (a body that ends when the connection closes): a cut-short
            // body looks complete, so the API's size is the reference. Only a shortfall counts, since
            // the size is known to be wrong at times (docs/archive-format.md, "Sizes").
            if total == nil, let expected = job.apiSize, expected > 0, received < expected {
                throw HTTPError.incompleteBody(url: url, expected: expected, received: received)
            }
            if isRemovedPlaceholder {
                discardPartial()
                return .unavailable(UnavailableMedia(status: .removed, httpStatus: status, url: url, seenAt: now))
            }
            // Complete by its own length, yet not the size the API gives (a Content-Length that lies
            // short, say): not kept under the final name. The bytes are set aside for a look.
            if let apiSize = job.apiSize, settings.isPlausible(apiSize), received != apiSize {
                try setAsideMismatch()
                throw ArchiveError.sizeMismatch(url: url, apiSize: apiSize, received: received)
            }
            return try moveIntoPlace(total: received)
        }
    }

    /// The name a file whose size disagrees with the API is kept under until the last attempt.
    static func mismatchName(_ fileName: String) -> String { ".\(fileName).size-mismatch" }
    private var mismatchName: String { Self.mismatchName(job.fileName) }

    /// Moves the finished partial file to `mismatchName` (the next attempt starts afresh).
    private func setAsideMismatch() throws {
        guard let writer else { return }
        self.writer = nil
        _ = try writer.finish()
        try writer.file.sync()
        try writer.file.close()
        try job.folder.rename(job.partialName, to: mismatchName)
        job.folder.remove(job.stateName)
    }

    /// Closes the partial file after a failed transfer, keeping it (every byte received) for the
    /// next attempt, and notes where that attempt can start.
    func abandon() {
        guard let writer else { return }
        self.writer = nil
        if let (bytes, hasher) = writer.finishQuietly(), bytes > 0 {
            stopped = ResumePoint(offset: bytes, hasher: hasher, validator: nil, length: nil, firstBytes: firstBytes)
        }
        try? writer.file.close()
    }

    /// Deletes the partial file and its resume state: the next attempt starts from byte 0.
    func discardPartial() {
        abandon()
        stopped = nil
        job.folder.remove(job.partialName)
        job.folder.remove(job.stateName)
    }

    // MARK: Checks

    private func checkNotHTML() throws {
        if MediaType.isHTML(contentType: contentType) {
            throw ArchiveError.notMedia(url: url, reason: "the server sent an HTML page (\(contentType ?? ""))")
        }
    }

    private func checkSignature() throws {
        signatureChecked = true
        if let problem = MediaType.problem(
            prefix: firstBytes, fileExtension: job.source.fileExtension, contentType: contentType)
        {
            throw ArchiveError.notMedia(url: url, reason: problem)
        }
    }

    /// The 503-byte removed.png served in place of the media (without a redirect).
    private var isRemovedPlaceholder: Bool {
        received == MediaType.removedPlaceholderSize && MediaType.detected(firstBytes) == .png
            && job.apiSize != MediaType.removedPlaceholderSize
    }

    /// Opens the partial file to continue after `point` (truncating anything beyond it).
    private func startFile(at point: ResumePoint) throws {
        abandon()
        let file = point.offset == 0 ? try job.folder.create(job.partialName) : try job.folder.openForAppending(job.partialName)
        if point.offset > 0 { try file.truncate(to: point.offset) }
        writer = BufferedWriter(file, hasher: point.hasher, offset: point.offset)
    }

    private func moveIntoPlace(total: Int64) throws -> MediaOutcome {
        guard let writer else { throw FileError.write(path: job.folder.path(job.partialName), reason: "not open") }
        self.writer = nil
        let (bytes, hasher) = try writer.finish()
        try writer.file.sync()
        try writer.file.close()
        guard bytes == total, job.folder.fileSize(job.partialName) == total else {
            job.folder.remove(job.stateName)
            throw ArchiveError.resumeMismatch(url: url, reason: "the partial file does not have \(total) bytes")
        }
        // The resume hint goes first: a crash between the two steps then leaves a partial file
        // without a hint (resumed by hashing it), never a hint that outlives its file.
        job.folder.remove(job.stateName)
        try job.folder.rename(job.partialName, to: job.fileName)
        return .stored(
            StoredMedia(
                fileName: job.fileName, bytes: total, sha256: hasher.hexDigest(),
                detectedType: MediaType.detected(firstBytes)?.mime, url: url))
    }
}

/// `Content-Range: bytes 100-999/1000` (or `bytes */1000` on a 416), parsed strictly (RFC 9110
/// §14.4): anything else is nil, so a malformed answer is never taken for a continuation.
struct ContentRange: Equatable {
    var start: Int64?
    var end: Int64?
    var total: Int64?

    init?(_ value: String?) {
        guard let value = value?.trimmingCharacters(in: .whitespaces), value.lowercased().hasPrefix("bytes ") else {
            return nil
        }
        let parts = value.dropFirst(6).trimmingCharacters(in: .whitespaces).split(
            separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[1] != "*" {
            guard let total = Self.number(parts[1]) else { return nil }
            self.total = total
        }
        if parts[0] == "*" {
            guard total != nil else { return nil }  // "bytes */*" says nothing
            return
        }
        let bounds = parts[0].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2, let start = Self.number(bounds[0]), let end = Self.number(bounds[1]), start <= end,
            total.map({ end < $0 }) ?? true
        else { return nil }
        self.start = start
        self.end = end
    }

    init(start: Int64?, end: Int64?, total: Int64?) {
        self.start = start
        self.end = end
        self.total = total
    }

    /// Digits only: no sign, no spaces.
    private static func number(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }
}
