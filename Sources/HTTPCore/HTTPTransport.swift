import Foundation
import DurableFiles

/// The one seam between this package and the network.
///
/// `URLSessionTransport` is the real adapter; tests use it against a loopback server.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and streams the response into `sink` as it arrives.
    ///
    /// The sink is called synchronously on the transport's thread, so a slow sink slows the transfer
    /// down instead of letting received bytes pile up in memory.
    /// - Returns: the head of the final response (after redirects).
    /// - Throws: the sink's own error if it threw, `CancellationError` when the calling task is
    ///   cancelled, else an `HTTPError` describing the transport failure.
    func stream(_ request: HTTPRequest, into sink: any ResponseSink) async throws -> HTTPResponseHead
}

/// Receives a streamed response. Both methods run on the transport's thread, one call at a time.
public protocol ResponseSink: AnyObject, Sendable {
    /// The status and headers arrived. Throwing aborts the transfer.
    func receive(head: HTTPResponseHead) throws
    /// The next piece of the body, lent for the call: the bytes are the transport's buffer, to be
    /// copied, never kept. Throwing aborts the transfer.
    func receive(chunk: UnsafeRawBufferPointer) throws
}

extension HTTPTransport {
    /// Sends `request` and collects the whole body, for small answers such as API JSON.
    /// - Throws: `HTTPError.bodyTooLarge` past `maxBodyBytes`, or what `stream` throws.
    public func fetch(_ request: HTTPRequest, maxBodyBytes: Int = 32 << 20) async throws -> HTTPResponse {
        let collector = BodyCollector(url: request.url, limit: maxBodyBytes)
        let head = try await stream(request, into: collector)
        return HTTPResponse(head: head, body: collector.body)
    }
}

/// Keeps a bounded body in memory.
private final class BodyCollector: ResponseSink, @unchecked Sendable {
    // Only the transport touches `body` while the transfer runs, one call at a time, and the caller
    // reads it after `stream` has returned: no concurrent access.
    private(set) var body = Data()
    private let url: URL
    private let limit: Int

    init(url: URL, limit: Int) {
        self.url = url
        self.limit = limit
    }

    func receive(head: HTTPResponseHead) throws {
        body.removeAll(keepingCapacity: true)
    }

    func receive(chunk: UnsafeRawBufferPointer) throws {
        guard body.count + chunk.count <= limit else {
            throw HTTPError.bodyTooLarge(url: url.absoluteString, limit: limit)
        }
        body.append(chunk.assumingMemoryBound(to: UInt8.self))
    }
}

/// A response whose body stayed in memory while small and went to an unnamed file once past the
/// memory limit: an album answer of any size (300,000 images is some 180 MB) costs the same memory
/// (docs/design.md, "One large album").
public struct SpooledResponse: Sendable {
    public let head: HTTPResponseHead
    /// The whole body when `spool` is nil; else empty.
    public let body: Data
    public let spool: Spool?

    /// The body as a byte source for `JSONStreamReader`, from its start.
    public func source() throws -> (UnsafeMutableRawBufferPointer) throws -> Int {
        if var reader = try spool?.reader() {
            return { buffer in try reader.read(into: buffer) }
        }
        var offset = 0
        let body = self.body
        return { buffer in
            let count = min(buffer.count, body.count - offset)
            guard count > 0 else { return 0 }
            body.withUnsafeBytes { raw in buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])) }
            offset += count
            return count
        }
    }

    /// The body's first `count` bytes (for the message of an error answer).
    public func prefix(_ count: Int) throws -> Data {
        guard let spool else { return body.prefix(count) }
        var reader = try spool.reader()
        var data = Data(count: count)
        let read = try data.withUnsafeMutableBytes { raw in try reader.read(into: raw) }
        return data.prefix(read)
    }
}

extension HTTPTransport {
    /// Sends `request`; the body is kept in memory up to `memoryLimit` bytes and in an unnamed file
    /// of `directory` past that.
    /// - Throws: `HTTPError.bodyTooLarge` past `maxBodyBytes`, a write error of the file, or what
    ///   `stream` throws.
    public func fetch(
        _ request: HTTPRequest, spoolingIn directory: Directory, memoryLimit: Int = 1 << 20, maxBodyBytes: Int
    ) async throws -> SpooledResponse {
        let sink = SpoolingSink(url: request.url, directory: directory, memoryLimit: memoryLimit, limit: maxBodyBytes)
        let head = try await stream(request, into: sink)
        return SpooledResponse(head: head, body: sink.body, spool: sink.spool)
    }
}

/// Keeps a body in memory while small, in a `Spool` past that.
private final class SpoolingSink: ResponseSink, @unchecked Sendable {
    // As for `BodyCollector`: the transport's thread while it runs, the caller after.
    private(set) var body = Data()
    private(set) var spool: Spool?
    private var count = 0
    private let url: URL
    private let directory: Directory
    private let memoryLimit: Int
    private let limit: Int

    init(url: URL, directory: Directory, memoryLimit: Int, limit: Int) {
        self.url = url
        self.directory = directory
        self.memoryLimit = memoryLimit
        self.limit = limit
    }

    func receive(head: HTTPResponseHead) throws {
        body.removeAll(keepingCapacity: true)
        spool = nil
        count = 0
    }

    func receive(chunk: UnsafeRawBufferPointer) throws {
        count += chunk.count
        guard count <= limit else { throw HTTPError.bodyTooLarge(url: url.absoluteString, limit: limit) }
        if spool == nil, body.count + chunk.count <= memoryLimit {
            body.append(chunk.assumingMemoryBound(to: UInt8.self))
            return
        }
        if spool == nil {
            let spool = try Spool(in: directory)
            try body.withUnsafeBytes { try spool.append($0) }
            body = Data()
            self.spool = spool
        }
        try spool?.append(chunk)
    }
}
