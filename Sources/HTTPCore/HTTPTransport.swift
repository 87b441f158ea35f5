import Foundation

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
