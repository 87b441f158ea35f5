import Foundation
import ImgurAPI

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
    private let partialPath: String
    private let statePath: String
    private let resume: ResumePoint
    private let onBytes: @Sendable (Int) -> Void

    private var disposition = Disposition.pending
    private var file: OpenFile?
    private var hasher: SHA256
    private var written: Int64
    private var firstBytes: [UInt8]
    private var contentType: String?
    private var status = 0

    init(job: MediaJob, layout: StorageLayout, resume: ResumePoint, onBytes: @escaping @Sendable (Int) -> Void) {
        self.job = job
        partialPath = layout.partial(job.album, job.fileName)
        statePath = layout.resumeState(job.album, job.fileName)
        self.resume = resume
        self.onBytes = onBytes
        hasher = resume.hasher
        written = resume.offset
        firstBytes = resume.firstBytes
    }

    /// Bytes safely in the partial file and the hash over exactly them, to resume from in memory.
    /// (The downloader checks the file still has exactly `offset` bytes before using it.)
    var resumePoint: ResumePoint? {
        guard written > 0 else { return nil }
        return ResumePoint(offset: written, hasher: hasher, validator: nil, firstBytes: firstBytes)
    }

    private var url: String { job.source.url.absoluteString }

    // MARK: ResponseSink

    func receive(head: HTTPResponseHead) throws {
        status = head.status
        contentType = head.contentType
        switch head.status {
        case 200:
            try checkNotHTML()
            try startFile(truncating: true)
            hasher = SHA256()
            written = 0
            firstBytes = []
            try ResumeState(url: url, head: head).save(statePath)
            disposition = .body(total: head.contentLength)
        case 206:
            guard resume.offset > 0, let range = ContentRange(head.headers["content-range"]),
                range.start == resume.offset
            else {
                throw ArchiveError.resumeMismatch(
                    url: url, reason: "partial content does not start at byte \(resume.offset)")
            }
            try checkNotHTML()
            try startFile(truncating: false)
            try file?.truncate(to: resume.offset)
            disposition = .body(total: range.total)
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

    func receive(chunk: Data) throws {
        guard case .body(let total) = disposition, let file else { return }
        if firstBytes.count < MediaSignature.prefixLength {
            firstBytes.append(contentsOf: chunk.prefix(MediaSignature.prefixLength - firstBytes.count))
            if written == 0 && firstBytes.count >= MediaSignature.prefixLength { try checkSignature() }
        }
        if let total, written + Int64(chunk.count) > total {
            throw ImgurAPIError.incompleteBody(url: url, expected: total, received: written + Int64(chunk.count))
        }
        try file.write(chunk)
        hasher.update(chunk)
        written += Int64(chunk.count)
        onBytes(chunk.count)
    }

    // MARK: After the transfer

    /// Turns a finished transfer into its outcome; moves a complete file into place.
    func finish(finalPath: String, now: Date) throws -> MediaOutcome {
        switch disposition {
        case .pending:
            throw ImgurAPIError.connectionFailed(url: url, code: 0, reason: "no response")
        case .removed(let status):
            discardPartial()
            return .unavailable(UnavailableMedia(reason: .removed, httpStatus: status, url: url, seenAt: now))
        case .missing(let status):
            discardPartial()
            return .unavailable(UnavailableMedia(reason: .missing, httpStatus: status, url: url, seenAt: now))
        case .rangeNotSatisfiable(let total):
            // The partial file may already hold every byte (a crash after the last write).
            guard let total, total == resume.offset else {
                discardPartial()
                throw ArchiveError.resumeMismatch(url: url, reason: "the server refused the range; starting over")
            }
            return try moveIntoPlace(finalPath, total: total)
        case .body(let total):
            if written < MediaSignature.prefixLength && resume.offset == 0 { try checkSignature() }
            if let total, written != total {
                throw ImgurAPIError.incompleteBody(url: url, expected: total, received: written)
            }
            if isRemovedPlaceholder {
                discardPartial()
                return .unavailable(UnavailableMedia(reason: .removed, httpStatus: status, url: url, seenAt: now))
            }
            return try moveIntoPlace(finalPath, total: written)
        }
    }

    /// Closes the partial file after a failed transfer, keeping it for the next attempt.
    func abandon() {
        try? file?.close()
        file = nil
    }

    /// Deletes the partial file and its resume state: the next attempt starts from byte 0.
    func discardPartial() {
        abandon()
        FileSystem.remove(partialPath)
        FileSystem.remove(statePath)
    }

    // MARK: Checks

    private func checkNotHTML() throws {
        if MediaSignature.isHTML(contentType: contentType) {
            throw ArchiveError.notMedia(url: url, reason: "the server sent an HTML page (\(contentType ?? ""))")
        }
    }

    private func checkSignature() throws {
        if let problem = MediaSignature.problem(
            prefix: firstBytes, fileExtension: job.source.fileExtension, contentType: contentType)
        {
            throw ArchiveError.notMedia(url: url, reason: problem)
        }
    }

    /// The 503-byte removed.png served in place of the media (without a redirect).
    private var isRemovedPlaceholder: Bool {
        written == MediaSignature.removedPlaceholderSize && MediaSignature.kind(of: firstBytes) == .png
            && job.apiSize != MediaSignature.removedPlaceholderSize
    }

    private func startFile(truncating: Bool) throws {
        try? file?.close()
        file = truncating ? try OpenFile(creating: partialPath) : try OpenFile(appendingTo: partialPath)
    }

    private func moveIntoPlace(_ finalPath: String, total: Int64) throws -> MediaOutcome {
        if file == nil { file = try OpenFile(appendingTo: partialPath) }
        try file?.sync()
        try file?.close()
        file = nil
        guard FileSystem.fileSize(partialPath) == total else {
            FileSystem.remove(statePath)
            throw ArchiveError.resumeMismatch(url: url, reason: "the partial file does not have \(total) bytes")
        }
        try FileSystem.moveIntoPlace(partialPath, finalPath)
        FileSystem.remove(statePath)
        return .stored(
            StoredMedia(
                fileName: job.fileName, bytes: total, sha256: hasher.hexDigest(),
                detectedType: MediaSignature.detectedType(firstBytes), url: url))
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
