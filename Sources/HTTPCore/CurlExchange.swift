import CCurlShim
import Foundation

/// One request of a `CurlTransport`, hop by hop: reads each response's head, follows redirects the
/// way `Transfer` does for URLSession (credentials never to another origin, the removed-media
/// redirect returned as the answer), streams the final body into the sink and says how it ended.
///
/// Only the worker thread running it touches its state.
final class CurlExchange: @unchecked Sendable {
    let request: HTTPRequest
    private var headers: [(name: String, value: String)]
    private let sink: any ResponseSink

    private var url: URL
    private var redirects: [URL] = []

    // The response being read.
    private var status = 0
    private var fields = HTTPHeaders()
    private var lastField: String?
    private var head: HTTPResponseHead?
    private var received: Int64 = 0
    private var redirectTarget: URL?
    /// Why a callback stopped the transfer.
    private var failure: (any Error)?

    init(request: HTTPRequest, headers: [(name: String, value: String)], sink: any ResponseSink) {
        self.request = request
        self.headers = headers
        self.sink = sink
        url = request.url
    }

    func run(on handle: OpaquePointer, number: UInt64) -> Result<HTTPResponseHead, any Error> {
        let start = ContinuousClock.now
        let address = request.url.absoluteString
        while true {
            let left = request.deadline - (ContinuousClock.now - start) / .seconds(1)
            guard left > 0 else { return .failure(HTTPError.timedOut(url: address, seconds: request.deadline, idle: false)) }
            status = 0
            fields = HTTPHeaders()
            head = nil
            redirectTarget = nil
            let result = perform(on: handle, number: number, deadline: left)
            switch Int(result.outcome) {
            case Int(IA_DIRECT_CANCELLED): return .failure(CancellationError())
            case Int(IA_DIRECT_IDLE):
                return .failure(HTTPError.timedOut(url: address, seconds: request.idleTimeout, idle: true))
            case Int(IA_DIRECT_DEADLINE):
                return .failure(HTTPError.timedOut(url: address, seconds: request.deadline, idle: false))
            case Int(IA_DIRECT_STOPPED): return .failure(failure ?? CancellationError())
            case Int(IA_DIRECT_FAILED): return .failure(error(for: result))
            default: break
            }
            if let target = redirectTarget {
                redirects.append(target)
                // Credentials meant for the API never reach another origin, nor come back after.
                if !Transfer.sameOrigin(target, request.url) {
                    headers = headers.filter { $0.name.lowercased() != "authorization" }
                }
                url = target
                continue
            }
            guard let head else {
                return .failure(HTTPError.connectionFailed(url: address, code: -1011, reason: "no response"))
            }
            if let short = head.incompleteBody(received: received, method: request.method, url: address) {
                return .failure(short)
            }
            return .success(head)
        }
    }

    // MARK: Calling libcurl

    private func perform(on handle: OpaquePointer, number: UInt64, deadline: TimeInterval) -> ia_direct_result {
        // "Name;" is libcurl's way to send a field with an empty value ("Name:" would remove the field).
        let lines = headers.sorted { $0.name < $1.name }.map {
            strdup($0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)")
        }
        defer { lines.forEach { free($0) } }
        var result = ia_direct_result()
        let context = Unmanaged.passUnretained(self).toOpaque()
        url.absoluteString.withCString { address in
            request.method.uppercased().withCString { method in
                lines.map { UnsafePointer($0) }.withUnsafeBufferPointer { pointers in
                    var call = ia_direct_request()
                    call.transfer = number
                    call.url = address
                    call.method = method
                    call.headers = pointers.baseAddress
                    call.header_count = Int32(pointers.count)
                    call.idle_ms = Self.milliseconds(request.idleTimeout)
                    call.deadline_ms = Self.milliseconds(deadline)
                    call.context = context
                    call.on_header = { context, line, length in
                        let exchange = Unmanaged<CurlExchange>.fromOpaque(context!).takeUnretainedValue()
                        return exchange.header(UnsafeRawBufferPointer(start: line, count: length)) ? 0 : 1
                    }
                    call.on_body = { context, bytes, length in
                        let exchange = Unmanaged<CurlExchange>.fromOpaque(context!).takeUnretainedValue()
                        return exchange.body(UnsafeRawBufferPointer(start: bytes, count: length)) ? 0 : 1
                    }
                    ia_direct_perform(handle, &call, &result)
                }
            }
        }
        return result
    }

    private static func milliseconds(_ seconds: TimeInterval) -> Int64 {
        Int64(min(max((seconds * 1000).rounded(.up), 1), 1e15))
    }

    // MARK: Callbacks (on the worker thread, inside ia_direct_perform)

    /// One header line; false stops the transfer.
    private func header(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // "\r\n" is one Character: trimmed as scalars. UTF-8, as FoundationNetworking reads heads.
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            fields = HTTPHeaders()
            lastField = nil
            return true
        }
        if line.isEmpty { return headComplete() }
        // A folded line (obsolete, RFC 9112 §5.2) continues the field before it.
        if let first = line.unicodeScalars.first, first == " " || first == "\t" {
            if let lastField, let previous = fields[lastField] {
                fields[lastField] = "\(previous) \(line.trimmingCharacters(in: .whitespaces))"
            }
            return true
        }
        guard let colon = line.firstIndex(of: ":") else { return true }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        // A field sent twice is joined, as URLSession does; the same value twice (a repeated
        // Content-Length) is one value.
        if let previous = fields[name], previous != value {
            fields[name] = "\(previous), \(value)"
        } else {
            fields[name] = value
        }
        lastField = name
        return true
    }

    private func headComplete() -> Bool {
        let address = request.url.absoluteString
        if (100..<200).contains(status) { return true }  // an interim answer: the real head follows
        if [301, 302, 303, 307, 308].contains(status), let location = fields["location"] {
            // A redirect that cannot be read is a broken answer (retried), never "the media was removed".
            guard let target = URL(string: location.trimmingCharacters(in: .whitespaces), relativeTo: url)?.absoluteURL
            else {
                failure = HTTPError.connectionFailed(url: address, code: -1011, reason: "redirect to an unreadable location")
                return false
            }
            // Not followed: the redirect itself is the answer, and `redirects` lists only hops taken.
            if !request.stopsRedirect(to: target) {
                guard ["http", "https"].contains(target.scheme?.lowercased() ?? "") else {
                    failure = HTTPError.connectionFailed(url: address, code: -1002, reason: "redirect to an unsupported URL")
                    return false
                }
                guard redirects.count < request.maxRedirects else {
                    failure = HTTPError.tooManyRedirects(url: address, limit: request.maxRedirects)
                    return false
                }
                redirectTarget = target
                return true
            }
        }
        let head = HTTPResponseHead(status: status, url: url, headers: fields, redirects: redirects)
        if let refused = head.unaskedEncoding(url: address) {
            failure = refused
            return false
        }
        self.head = head
        received = 0
        return handing { try sink.receive(head: head) }
    }

    /// A piece of a body; false stops the transfer. A followed redirect's body is dropped.
    private func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard head != nil, redirectTarget == nil else { return true }
        received += Int64(bytes.count)
        return handing { try sink.receive(chunk: bytes) }
    }

    /// Runs the sink; false (its error kept) to stop the transfer.
    private func handing(_ deliver: () throws -> Void) -> Bool {
        do {
            try deliver()
            return true
        } catch {
            failure = error
            return false
        }
    }

    // MARK: Errors

    private func error(for result: ia_direct_result) -> HTTPError {
        let address = request.url.absoluteString
        let code = Int(result.code)
        if code == 18, let head, let expected = head.contentLength {  // CURLE_PARTIAL_FILE
            return .incompleteBody(url: address, expected: expected, received: received)
        }
        if code == 28 {  // libcurl's own timeout (its connect timeout): the transfer was idle
            return .timedOut(url: address, seconds: request.idleTimeout, idle: true)
        }
        let reason = withUnsafeBytes(of: result.reason) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return .connectionFailed(url: address, code: Self.urlErrorCode(curl: code), reason: reason)
    }

    /// The `URLError` code URLSession reports for the same failure, so that retries and messages do
    /// not depend on the transport (`HTTPError.neverConnectedCodes`).
    static func urlErrorCode(curl code: Int) -> Int {
        switch code {
        case 1: -1002  // unsupported protocol
        case 3: -1000  // malformed URL
        case 5, 6: -1003  // could not resolve the proxy, the host
        case 7: -1004  // could not connect
        case 8, 52: -1011  // weird reply, nothing at all
        case 16, 18, 55, 56, 92: -1005  // HTTP/2 framing, partial body, send and receive errors
        case 28: -1001  // timed out
        case 60: -1202  // certificate not trusted
        case 35, 53, 54, 58, 59, 64, 66, 77, 80, 82, 83, 90, 91: -1200  // TLS
        default: -1
        }
    }
}
