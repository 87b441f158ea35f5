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
    /// Uploads: the server may work a minute after the last byte (docs/urlsession-linux.md §7).
    public var uploadIdleTimeout: TimeInterval = 180
    public var uploadDeadline: TimeInterval = 3_600

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
        // Schemes are case-insensitive; FoundationNetworking only knows them in lowercase.
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.scheme = scheme
        self.baseURL = components?.url ?? url
        self.clientID = clientID
        self.idleTimeout = idleTimeout
        self.deadline = deadline
    }

    /// `localhost`, `::1`, or an IPv4 literal in 127.0.0.0/8, exactly: `127.0.0.1.evil.example` is a
    /// name anyone can register, not a loopback address.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.map { part -> Int? in
            guard (1...3).contains(part.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(part).flatMap { $0 <= 255 ? $0 : nil }
        }
        return values.allSatisfy { $0 != nil } && values[0] == 127
    }

    /// `baseURL` + `/3/` + the path segments. Callers pass validated ids and user names only
    /// (`ImgurID`, `ImgurReference.isValidUserName`): a segment is not escaped against `/` or `..`.
    func url(_ segments: [String]) -> URL {
        var url = baseURL.appendingPathComponent("3")
        for segment in segments { url.appendPathComponent(segment) }
        return url
    }
}
