import CCurlShim
import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `HTTPTransport` over URLSession (FoundationNetworking, libcurl underneath on Linux).
///
/// Streams every body through a session-level data delegate (async `data(for:)` holds whole bodies
/// in memory, `bytes(for:)` does not exist on Linux, download tasks leak temp files). Requests are
/// spread over several sessions because one session's libcurl multi handle runs on one serial
/// queue, and each session never has more requests in flight than its connection limit: time spent
/// queued inside libcurl counts against the idle timeout.
public final class URLSessionTransport: HTTPTransport {
    /// How many sessions and connections.
    public struct Configuration: Sendable {
        public var sessions: Int
        public var connectionsPerSession: Int
        public var userAgent: String

        public init(sessions: Int = 1, connectionsPerSession: Int = 6, userAgent: String = "imgur-archive") {
            self.sessions = max(1, sessions)
            self.connectionsPerSession = max(1, connectionsPerSession)
            self.userAgent = userAgent
        }
    }

    /// One session with its delegate, its in-flight limit and how many requests use it.
    private final class Lane: Sendable {
        let session: URLSession
        let delegate: SessionDelegate
        let limiter: AsyncLimiter
        let load = Atomic<Int>(0)

        init(session: URLSession, delegate: SessionDelegate, limiter: AsyncLimiter) {
            self.session = session
            self.delegate = delegate
            self.limiter = limiter
        }
    }

    private let lanes: [Lane]
    private let userAgent: String

    public init(configuration: Configuration = Configuration()) {
        userAgent = configuration.userAgent
        lanes = (0..<configuration.sessions).map { _ in
            // `.default`, not `.ephemeral`: the ephemeral one builds a URLCache of its own, which
            // creates ~/.cache/org.swift.foundation.URLCache (docs/urlsession-linux.md §10).
            let settings = URLSessionConfiguration.default
            // No cache: cancelling a task that fails at the same moment crashed ~30 % of runs with
            // the default URLCache (measured); we never want cached media anyway.
            settings.urlCache = nil
            settings.urlCredentialStorage = nil
            settings.requestCachePolicy = .reloadIgnoringLocalCacheData
            settings.httpCookieStorage = nil
            settings.httpShouldSetCookies = false
            settings.httpMaximumConnectionsPerHost = configuration.connectionsPerSession
            let delegate = SessionDelegate()
            let session = URLSession(
                configuration: settings, delegate: delegate, delegateQueue: InlineOperationQueue())
            return Lane(
                session: session, delegate: delegate, limiter: AsyncLimiter(limit: configuration.connectionsPerSession))
        }
    }

    deinit {
        for lane in lanes { lane.session.finishTasksAndInvalidate() }
    }

    /// Whether the libcurl workarounds of `CCurlShim` are in effect in this process (the executable
    /// exports the interposed symbols): without them a waiting connection spins a core and bodies
    /// Imgur compresses unasked are inflated. Checked by the tests.
    public static var workaroundsAreActive: Bool {
        _ = URLSessionTransport(configuration: .init(sessions: 1))
        return ia_curl_shim_wrapped_multi_handles() > 0
    }

    /// Body pieces libcurl handed over and pieces `CCurlShim` passed on after gathering them into
    /// 256 KiB (docs/performance.md): the second is far below the first on a large download.
    public static var bodyPieces: (fromLibcurl: Int, toFoundation: Int) {
        (ia_curl_shim_gathered_pieces(), ia_curl_shim_passed_pieces())
    }

    /// Keeps FoundationNetworking from creating anything under `$HOME`: the shared URLCache and
    /// cookie storage it sets up on first use make `~/.cache/org.swift.foundation.URLCache/…` and
    /// `~/.local/share/<folder>/` (docs/urlsession-linux.md §10). Call it first thing in `main`,
    /// before any other thread runs (it changes the environment for a moment). It also limits
    /// malloc to two arenas, which glibc only honours before threads start.
    public static func prepareProcess() {
        // Two malloc arenas, not one per thread that allocated (docs/performance.md, "Uploads").
        _ = ia_limit_malloc_arenas(2)
        URLCache.shared = URLCache(memoryCapacity: 0, diskCapacity: 0, diskPath: "/dev/null")
        let saved = getenv("XDG_DATA_HOME").map { String(cString: $0) }
        setenv("XDG_DATA_HOME", "/dev/null", 1)
        _ = HTTPCookieStorage.shared
        if let saved { setenv("XDG_DATA_HOME", saved, 1) } else { unsetenv("XDG_DATA_HOME") }
    }

    public func stream(_ request: HTTPRequest, into sink: any ResponseSink) async throws -> HTTPResponseHead {
        let lane = leastLoadedLane()
        lane.load.add(1, ordering: .relaxed)
        defer { lane.load.subtract(1, ordering: .relaxed) }
        do {
            try await lane.limiter.acquire()
        } catch is CancellationError where !request.isIdempotent {
            // Cancelled while waiting for a connection: nothing of it went out.
            throw HTTPError.cancelledUnsent(url: request.url.absoluteString)
        }
        defer { lane.limiter.release() }

        let urlRequest = urlRequest(for: request)
        let task: URLSessionTask
        switch request.body {
        case nil: task = lane.session.dataTask(with: urlRequest)
        case .bytes(let data, _)?: task = lane.session.uploadTask(with: urlRequest, from: data)
        case .file(let path, _)?: task = lane.session.uploadTask(with: urlRequest, fromFile: URL(fileURLWithPath: path))
        }
        let transfer = Transfer(request: request, sink: sink, task: task)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard transfer.begin(continuation) else { return }
                lane.delegate.register(transfer, for: task.taskIdentifier)
                transfer.armDeadline()
                task.resume()
            }
        } onCancel: {
            transfer.cancelByCaller()
        }
    }

    /// The idle timeout FoundationNetworking will actually apply for `seconds`.
    static func wholeSeconds(_ seconds: TimeInterval) -> TimeInterval {
        max(1, seconds.rounded(.up))
    }

    private func leastLoadedLane() -> Lane {
        lanes.min { $0.load.load(ordering: .relaxed) < $1.load.load(ordering: .relaxed) } ?? lanes[0]
    }

    private func urlRequest(for request: HTTPRequest) -> URLRequest {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData)
        // On Linux the request timeout is an idle timeout, reset by every chunk, counted in whole
        // seconds: 1.5 acts as 1, and anything below 1 fires at once (measured). Round up. It must be
        // assigned through the property: FoundationNetworking ignores the value the initializer
        // takes and falls back to the session's 60 s (`isTimeoutIntervalSet` stays false).
        urlRequest.timeoutInterval = Self.wholeSeconds(request.idleTimeout)
        urlRequest.httpMethod = request.method
        urlRequest.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        // Credentials go on each request, never in httpAdditionalHeaders: those are re-added on
        // every redirect hop and cannot be stripped.
        // Nothing compressed, ever: byte counts are the file's, and no gzip bomb can be sent.
        urlRequest.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        // Without it FoundationNetworking sends form-urlencoded (docs/urlsession-linux.md §7).
        if let body = request.body { urlRequest.setValue(body.contentType, forHTTPHeaderField: "Content-Type") }
        return urlRequest
    }
}
