import Foundation
import HTTPCore

/// What Imgur's answers can mean when they are not what was asked for, in words a user can act on.
/// (Failures on the way there and back are `HTTPError`s.)
public enum ImgurAPIError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Configuration

    /// `IMGUR_API_BASE` is not an http(s) URL, or is plain http to a host that is not loopback.
    case invalidBaseURL(String, reason: String)

    // MARK: API answers

    /// 404: the album, image or account does not exist (or is no longer visible anonymously).
    case notFound(resource: String, message: String?)
    /// 403 "Invalid client_id" or a malformed Authorization header.
    case invalidClientID(message: String?)
    /// 401, or 403 "The access token provided is invalid": the login's access token expired or was
    /// revoked (the client refreshes it once and tries again).
    case invalidAccessToken(status: Int, message: String?)
    /// Another 403: not allowed to see this.
    case forbidden(status: Int, message: String?)
    /// 429: a rate limit was hit. `retryAfter` in seconds when the server said, `resetAt` from
    /// `X-RateLimit-UserReset`.
    case rateLimited(message: String?, retryAfter: TimeInterval?, resetAt: Date?)
    /// "Imgur is temporarily over capacity" (IP-level throttling): a 403 with the v3 envelope, or
    /// an HTML page (seen with 200).
    case overCapacity(status: Int, message: String?, retryAfter: TimeInterval?)
    /// 5xx.
    case serverError(status: Int, message: String?, retryAfter: TimeInterval?)
    /// 400 "These actions are forbidden." with `CDN-Error: yes`: Imgur's edge refuses this address
    /// or client before the API sees the request; retrying does not help (docs/imgur-api.md §12).
    case refusedAtEdge(message: String?)
    /// 400 "Invalid refresh token" from `/oauth2/token`: the login is gone; log in again.
    case invalidRefreshToken(message: String?)
    /// Any other unexpected status.
    case unexpectedStatus(status: Int, message: String?)
    /// The body was not JSON where JSON was expected (an HTML error page, for example).
    case notJSON(status: Int, contentType: String?, snippet: String)
    /// JSON, but not the shape the API documents.
    case malformedResponse(String)

    /// Whether trying again later may succeed.
    public var isTransient: Bool {
        switch self {
        case .rateLimited, .overCapacity, .serverError:
            return true
        case .notJSON(let status, _, _):
            // Varnish and CDN error pages arrive as HTML with a 5xx status.
            return status >= 500 || status == 429
        case .invalidBaseURL, .notFound, .invalidClientID, .invalidAccessToken, .forbidden, .unexpectedStatus,
            .malformedResponse, .refusedAtEdge, .invalidRefreshToken:
            return false
        }
    }

    /// The wait the server asked for, when it asked.
    public var retryAfter: TimeInterval? {
        switch self {
        case .rateLimited(_, let retryAfter, let resetAt):
            // Imgur's 429s carry no Retry-After in any capture: the reset time is the next best hint.
            return retryAfter ?? resetAt.map { max(0, $0.timeIntervalSinceNow) }
        case .overCapacity(_, _, let retryAfter), .serverError(_, _, let retryAfter):
            return retryAfter
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .invalidBaseURL(let url, let reason):
            return "invalid API base URL \(url): \(reason)"
        case .notFound(let resource, _):
            return "\(resource) not found on Imgur (HTTP 404)"
        case .invalidClientID(let message):
            return "Imgur refused the client id (HTTP 403\(Self.quoted(message))); check IMGUR_CLIENT_ID or api_secrets.json"
        case .invalidAccessToken(let status, let message):
            return "Imgur refused the login's access token (HTTP \(status)\(Self.quoted(message)))"
        case .forbidden(let status, let message):
            return "Imgur refused access (HTTP \(status)\(Self.quoted(message)))"
        case .rateLimited(let message, let retryAfter, let resetAt):
            var text = "rate limited by Imgur (HTTP 429\(Self.quoted(message)))"
            if let retryAfter { text += ", retry after \(HTTPError.seconds(retryAfter))" }
            if let resetAt { text += ", limit resets at \(Self.timestamp(resetAt))" }
            return text
        case .overCapacity(let status, let message, _):
            return "Imgur is over capacity (HTTP \(status)\(Self.quoted(message)))"
        case .serverError(let status, let message, _):
            return "Imgur server error (HTTP \(status)\(Self.quoted(message)))"
        case .refusedAtEdge(let message):
            return "Imgur refuses requests from this address or client (HTTP 400\(Self.quoted(message)), CDN-Error: yes); "
                + "retrying will not help"
        case .invalidRefreshToken(let message):
            return "Imgur rejected the login's refresh token (HTTP 400\(Self.quoted(message))); "
                + "log in again with 'imgur-archive login', or remove it with 'imgur-archive logout'"
        case .unexpectedStatus(let status, let message):
            return "unexpected answer from Imgur (HTTP \(status)\(Self.quoted(message)))"
        case .notJSON(let status, let contentType, let snippet):
            return "expected JSON from Imgur but got \(contentType ?? "no content type") (HTTP \(status)): \(snippet)"
        case .malformedResponse(let reason):
            return "malformed answer from Imgur: \(reason)"
        }
    }

    private static func quoted(_ message: String?) -> String {
        guard let message, !message.isEmpty else { return "" }
        return ": \(message)"
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}

extension ImgurAPIError: RetryableError {
    /// A 429 or an "over capacity" 403 is Imgur refusing the request before acting on it, so even an
    /// upload may be sent again after one. Our reading of the refusals in docs/imgur-api.md §6 and
    /// §12 (no capture shows an image stored behind one), not a documented guarantee.
    public var provesRequestNotProcessed: Bool {
        switch self {
        case .rateLimited, .refusedAtEdge: true
        // An HTML page with another status may come from anywhere along the way: not proof.
        case .overCapacity(let status, _, _): status == 403
        default: false
        }
    }
}
