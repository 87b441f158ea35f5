import CCurlShim
import Foundation
import Synchronization

/// `HTTPTransport` on libcurl's own interface, for media downloads (docs/performance.md, "A media
/// transport on libcurl"): FoundationNetworking hands the body over in 16 KB pieces on one serial
/// queue per session, which held the archiver at about 0.7× curl's speed over TLS.
///
/// Each of `connections` threads keeps one libcurl handle (its connections, its parsed CA bundle)
/// and runs one transfer at a time, calling the sink on that thread, so a slow sink slows the
/// transfer. Only GET and HEAD: the Imgur API client stays on `URLSessionTransport`.
public final class CurlTransport: HTTPTransport {
    public struct Configuration: Sendable {
        public var connections: Int
        public var userAgent: String

        public init(connections: Int = 6, userAgent: String = "imgur-archive") {
            self.connections = max(1, connections)
            self.userAgent = userAgent
        }
    }

    /// Whether libcurl's functions are there (FoundationNetworking loads libcurl into every process).
    public static var isAvailable: Bool { ia_direct_available() != 0 }

    private let workers: CurlWorkers
    private let userAgent: String

    public init(configuration: Configuration = Configuration()) {
        workers = CurlWorkers(count: configuration.connections)
        userAgent = configuration.userAgent
    }

    deinit {
        workers.shutDown()
    }

    public func stream(_ request: HTTPRequest, into sink: any ResponseSink) async throws -> HTTPResponseHead {
        guard ["GET", "HEAD"].contains(request.method.uppercased()), request.body == nil else {
            throw HTTPError.connectionFailed(
                url: request.url.absoluteString, code: -1, reason: "only GET and HEAD go over the media transport")
        }
        // Nothing compressed, ever: byte counts are the file's, and no gzip bomb can be sent. One
        // field per name whatever its case, the request's own last.
        var headers = ["user-agent": ("User-Agent", userAgent), "accept-encoding": ("Accept-Encoding", "identity")]
        for (name, value) in request.headers { headers[name.lowercased()] = (name, value) }
        let exchange = CurlExchange(request: request, headers: Array(headers.values), sink: sink)
        let job = CurlJob(exchange: exchange)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                job.continuation = continuation
                workers.submit(job)
            }
        } onCancel: {
            workers.cancel(job)
        }
    }
}

/// One `stream` call waiting for, or running on, a worker.
final class CurlJob: @unchecked Sendable {
    // `continuation` is set before the job is submitted and resumed once, by whoever takes the job
    // out of the queue (a worker, or a cancellation that finds it still queued).
    var continuation: CheckedContinuation<HTTPResponseHead, any Error>?
    let exchange: CurlExchange
    let number: UInt64

    private static let numbers = Atomic<UInt64>(0)
    private let cancelled = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
    func markCancelled() { cancelled.store(true, ordering: .releasing) }

    init(exchange: CurlExchange) {
        self.exchange = exchange
        number = Self.numbers.add(1, ordering: .relaxed).newValue
    }

    func finish(_ result: Result<HTTPResponseHead, any Error>) {
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume(with: result)
    }
}
