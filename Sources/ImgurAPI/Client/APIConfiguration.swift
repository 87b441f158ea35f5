import Foundation

/// Where the API is and who we are to it.
public struct APIConfiguration: Sendable, Equatable {
    public static let defaultBaseURL = "https://api.imgur.com"

    /// The API root, without the `/3` version segment.
    public let baseURL: URL
    /// Sent as `Authorization: Client-ID <clientID>` to the API host only.
    public let clientID: String
    public var idleTimeout: TimeInterval
    public var deadline: TimeInterval

    /// - Throws: `ImgurAPIError.invalidBaseURL` unless `baseURL` is https, or plain http to a
    ///   loopback host (the test server, a local proxy).
    public init(
        baseURL: String = APIConfiguration.defaultBaseURL, clientID: String, idleTimeout: TimeInterval = 30,
        deadline: TimeInterval = 90
    ) throws(ImgurAPIError) {
        var text = baseURL.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host,
            !host.isEmpty
        else {
            throw .invalidBaseURL(baseURL, reason: "not an absolute URL")
        }
        switch scheme {
        case "https": break
        case "http":
            guard Self.isLoopback(host) else {
                throw .invalidBaseURL(baseURL, reason: "plain http is only allowed to a loopback host; use https")
            }
        default:
            throw .invalidBaseURL(baseURL, reason: "scheme must be https")
        }
        guard url.query == nil, url.fragment == nil, url.user == nil, url.password == nil else {
            throw .invalidBaseURL(baseURL, reason: "must not carry a query, fragment or user info")
        }
        self.baseURL = url
        self.clientID = clientID
        self.idleTimeout = idleTimeout
        self.deadline = deadline
    }

    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return name == "localhost" || name.hasSuffix(".localhost") || name == "::1" || name.hasPrefix("127.")
    }

    /// `baseURL` + `/3/` + the escaped path segments.
    func url(_ segments: [String]) -> URL {
        var url = baseURL.appendingPathComponent("3")
        for segment in segments { url.appendPathComponent(segment) }
        return url
    }
}
