import Foundation

/// What can go wrong on the way to a server and back, before any answer is interpreted.
public enum HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The connection failed or broke (`code` is the `URLError` code).
    case connectionFailed(url: String, code: Int, reason: String)
    /// No byte for the idle timeout (`idle`), or the whole request took longer than its deadline.
    case timedOut(url: String, seconds: TimeInterval, idle: Bool)
    case tooManyRedirects(url: String, limit: Int)
    case bodyTooLarge(url: String, limit: Int)
    /// The body ended before `Content-Length` bytes arrived.
    case incompleteBody(url: String, expected: Int64, received: Int64)
    /// The server compressed the answer although only `identity` was asked for: refused, never
    /// inflated (a few MB on the wire can inflate to gigabytes).
    case unexpectedEncoding(url: String, encoding: String)
    /// A request that is not idempotent, cancelled before any byte of it was sent (it was waiting
    /// for a connection): the server cannot have seen it.
    case cancelledUnsent(url: String)

    public var description: String {
        switch self {
        case .connectionFailed(let url, _, let reason):
            return "connection to \(Self.hostOf(url)) failed: \(reason)"
        case .timedOut(let url, let seconds, let idle):
            return idle
                ? "no data from \(Self.hostOf(url)) for \(Self.seconds(seconds))"
                : "request to \(Self.hostOf(url)) took longer than \(Self.seconds(seconds))"
        case .tooManyRedirects(let url, let limit):
            return "more than \(limit) redirects from \(url)"
        case .bodyTooLarge(let url, let limit):
            return "answer from \(url) is larger than \(limit) bytes"
        case .incompleteBody(let url, let expected, let received):
            return "transfer of \(url) ended after \(received) of \(expected) bytes"
        case .unexpectedEncoding(let url, let encoding):
            return "\(url) answered with Content-Encoding \(Self.printable(encoding)), which was not asked for; refused"
        case .cancelledUnsent(let url):
            return "stopped before anything was sent to \(Self.hostOf(url))"
        }
    }

    /// URL error codes that mean no connection was ever made: the server cannot have seen the
    /// request (cannot find host, cannot connect, DNS failure, not connected).
    static let neverConnectedCodes: Set<Int> = [-1003, -1004, -1006, -1009]
    /// `URLError.serverCertificateUntrusted`.
    static let untrustedCertificateCode = -1202

    private static func hostOf(_ url: String) -> String {
        URL(string: url)?.host ?? url
    }

    /// A header value a server sent, safe to print: control characters replaced, shortened.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(40).map { $0.value < 0x20 || $0.value == 0x7F || ($0.value >= 0x80 && $0.value < 0xA0) ? "?" : Character($0) })
    }

    /// `30s`, `0.5s`: whole seconds when whole (or long), else one decimal.
    public static func seconds(_ value: TimeInterval) -> String {
        value.rounded() == value || value >= 10 ? "\(Int(value.rounded()))s" : String(format: "%.1fs", value)
    }
}

extension HTTPError: RetryableError {
    public var isTransient: Bool {
        switch self {
        // A certificate the machine does not trust stays untrusted: said at once, not retried.
        case .connectionFailed(_, let code, _): code != Self.untrustedCertificateCode
        case .timedOut, .incompleteBody, .cancelledUnsent: true
        case .tooManyRedirects, .bodyTooLarge, .unexpectedEncoding: false
        }
    }

    public var retryAfter: TimeInterval? { nil }

    public var provesRequestNotProcessed: Bool {
        if case .cancelledUnsent = self { return true }
        if case .connectionFailed(_, let code, _) = self { return Self.neverConnectedCodes.contains(code) }
        return false
    }
}
