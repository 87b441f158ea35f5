import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request in flight on a `URLSessionTransport`: its sink, its continuation and why it ended.
final class Transfer: Sendable {
    private enum Abort {
        case callerCancelled
        case deadline
        case tooManyRedirects
        /// An authentication challenge: the 401 head is the answer.
        case challenged
        case sink(any Error)
    }

    private struct State {
        var continuation: CheckedContinuation<HTTPResponseHead, any Error>?
        var head: HTTPResponseHead?
        var received: Int64 = 0
        var redirects: [URL] = []
        var abort: Abort?
        var finished = false
    }

    let request: HTTPRequest
    private let sink: any ResponseSink
    private let task: URLSessionTask
    private let state = Mutex(State())

    init(request: HTTPRequest, sink: any ResponseSink, task: URLSessionTask) {
        self.request = request
        self.sink = sink
        self.task = task
    }

    // MARK: Caller side

    /// Stores the continuation; false (and the continuation already resumed) when cancelled first.
    func begin(_ continuation: CheckedContinuation<HTTPResponseHead, any Error>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if case .callerCancelled? = state.abort { return true }
            state.continuation = continuation
            return false
        }
        // Cancelled before the task was started: a POST then provably never left.
        if cancelled {
            continuation.resume(throwing: request.isIdempotent ? CancellationError() : HTTPError.cancelledUnsent(url: request.url.absoluteString))
        }
        return !cancelled
    }

    /// URLSession's resource timeout is not enforced on Linux: this is the request's overall deadline.
    func armDeadline() {
        // Nothing to cancel when the transfer ends first: `stop` does nothing once finished, and the
        // closure holds the transfer weakly.
        DispatchQueue.global().asyncAfter(deadline: .now() + request.deadline) { [weak self] in
            self?.stop(.deadline)
        }
    }

    func cancelByCaller() {
        stop(.callerCancelled)
    }

    /// Records why the transfer stops and cancels the task from another queue: this may be called
    /// on the session's callback queue, where `URLSessionTask.cancel()` would deadlock.
    private func stop(_ reason: Abort) {
        let first = state.withLock { state -> Bool in
            guard state.abort == nil, !state.finished else { return false }
            state.abort = reason
            return true
        }
        guard first else { return }
        let task = self.task
        DispatchQueue.global().async { task.cancel() }
    }

    private var isStopping: Bool {
        state.withLock { $0.abort != nil }
    }

    // MARK: Session delegate side (one call at a time, on the session's callback queue)

    func didReceive(_ response: URLResponse) {
        guard !isStopping else { return }
        let http = response as? HTTPURLResponse
        var headers = HTTPHeaders()
        for (name, value) in http?.allHeaderFields ?? [:] {
            if let name = name as? String { headers[name] = "\(value)" }
        }
        let head = state.withLock { state -> HTTPResponseHead in
            let head = HTTPResponseHead(
                status: http?.statusCode ?? 0, url: response.url ?? request.url, headers: headers,
                redirects: state.redirects)
            state.head = head
            state.received = 0
            return head
        }
        // libcurl decodes nothing (CCurlShim).
        if let refused = head.unaskedEncoding(url: request.url.absoluteString) { return stop(.sink(refused)) }
        do { try sink.receive(head: head) } catch { stop(.sink(error)) }
    }

    /// The server challenged for credentials, which we never give: hand the 401 to the sink and end
    /// the transfer with it (FoundationNetworking 6.3.1 would otherwise never complete it).
    func didReceiveChallenge(failureResponse: URLResponse?) {
        guard !isStopping else { return }
        if let failureResponse { didReceive(failureResponse) }
        stop(.challenged)
    }

    func didReceive(_ data: Data) {
        guard !isStopping else { return }
        state.withLock { $0.received += Int64(data.count) }
        do { try data.withUnsafeBytes { try sink.receive(chunk: $0) } } catch { stop(.sink(error)) }
    }

    /// The request to follow, or nil to stop and hand the redirect response itself to the sink.
    func redirect(to proposed: URLRequest) -> URLRequest? {
        guard let target = proposed.url else { return nil }
        // Not followed: the redirect response itself is the answer, and `redirects` lists only hops taken.
        if request.stopsRedirect(to: target) {
            return nil
        }
        let count = state.withLock { state -> Int in
            state.redirects.append(target)
            return state.redirects.count
        }
        guard count <= request.maxRedirects else {
            stop(.tooManyRedirects)
            return nil
        }
        var next = proposed
        // FoundationNetworking forwards every header to the next hop, whatever its host: credentials
        // meant for the API must never reach another origin.
        if !Self.sameOrigin(target, request.url) {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        return next
    }

    func didComplete(_ error: (any Error)?) {
        let (continuation, result) = state.withLock {
            state -> (CheckedContinuation<HTTPResponseHead, any Error>?, Result<HTTPResponseHead, any Error>) in
            state.finished = true
            let continuation = state.continuation
            state.continuation = nil
            return (continuation, outcome(state, error))
        }
        continuation?.resume(with: result)
    }

    private func outcome(_ state: State, _ error: (any Error)?) -> Result<HTTPResponseHead, any Error> {
        let url = request.url.absoluteString
        switch state.abort {
        case .sink(let sinkError)?: return .failure(sinkError)
        case .callerCancelled?:
            // A POST cancelled before a byte of it went out (it waited for a connection): provably
            // not received, so it may be sent again; anything else may have reached the server.
            if !request.isIdempotent, state.head == nil, task.countOfBytesSent == 0 {
                return .failure(HTTPError.cancelledUnsent(url: url))
            }
            return .failure(CancellationError())
        case .deadline?: return .failure(HTTPError.timedOut(url: url, seconds: request.deadline, idle: false))
        case .tooManyRedirects?: return .failure(HTTPError.tooManyRedirects(url: url, limit: request.maxRedirects))
        case .challenged?:
            guard let head = state.head else {
                return .failure(HTTPError.connectionFailed(url: url, code: 0, reason: "authentication required"))
            }
            return .success(head)
        case nil: break
        }
        if let error {
            let code = (error as? URLError)?.code.rawValue ?? (error as NSError).code
            if code == URLError.timedOut.rawValue {
                return .failure(
                    HTTPError.timedOut(
                        url: url, seconds: URLSessionTransport.wholeSeconds(request.idleTimeout), idle: true))
            }
            if code == URLError.cancelled.rawValue { return .failure(CancellationError()) }
            return .failure(HTTPError.connectionFailed(url: url, code: code, reason: Self.reason(error)))
        }
        guard let head = state.head else {
            return .failure(HTTPError.connectionFailed(url: url, code: 0, reason: "no response"))
        }
        // libcurl reports short bodies itself; this catches any path where it does not. Bodies are
        // never decoded (CCurlShim), so the bytes received are the bytes Content-Length counts.
        if let short = head.incompleteBody(received: state.received, method: request.method, url: url) {
            return .failure(short)
        }
        return .success(head)
    }

    private static func reason(_ error: any Error) -> String {
        let text = (error as NSError).localizedDescription
        return text.isEmpty || text == "(null)" ? "URL error \((error as NSError).code)" : text
    }

    static func sameOrigin(_ lhs: URL, _ rhs: URL) -> Bool {
        func port(_ url: URL) -> Int? { url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80) }
        return lhs.scheme?.lowercased() == rhs.scheme?.lowercased()
            && lhs.host?.lowercased() == rhs.host?.lowercased() && port(lhs) == port(rhs)
    }
}
