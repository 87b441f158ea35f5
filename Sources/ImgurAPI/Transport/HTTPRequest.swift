import Foundation

/// One HTTP request as the transport sends it.
public struct HTTPRequest: Sendable, Equatable {
    public var url: URL
    public var method: String
    /// Sent on this request only; `Authorization` is removed on any redirect to another origin.
    public var headers: [String: String]
    /// Fails the transfer when no byte arrives for this long.
    public var idleTimeout: TimeInterval
    /// Fails the transfer when it has not finished this long after it started.
    public var deadline: TimeInterval
    /// How many redirects are followed before the request fails with `tooManyRedirects`.
    public var maxRedirects: Int
    /// A redirect to a URL whose path ends with one of these is not followed: the 3xx response
    /// itself is returned (Imgur redirects removed media to `/removed.png`).
    public var stopRedirectsToPathSuffixes: [String]

    public init(
        url: URL,
        method: String = "GET",
        headers: [String: String] = [:],
        idleTimeout: TimeInterval = 30,
        deadline: TimeInterval = 120,
        maxRedirects: Int = 5,
        stopRedirectsToPathSuffixes: [String] = []
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.idleTimeout = idleTimeout
        self.deadline = deadline
        self.maxRedirects = maxRedirects
        self.stopRedirectsToPathSuffixes = stopRedirectsToPathSuffixes
    }
}

/// Status and headers of a response.
public struct HTTPResponseHead: Sendable, Equatable {
    public var status: Int
    /// The URL that answered, after any redirects.
    public var url: URL
    public var headers: HTTPHeaders
    /// Every URL a redirect led to, in order (empty when none was followed).
    public var redirects: [URL]

    public init(status: Int, url: URL, headers: HTTPHeaders, redirects: [URL] = []) {
        self.status = status
        self.url = url
        self.headers = headers
        self.redirects = redirects
    }

    /// `Content-Length`, when the server sent a valid one.
    public var contentLength: Int64? {
        headers["content-length"].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap {
            $0 >= 0 ? $0 : nil
        }
    }

    public var contentType: String? { headers["content-type"] }
}

/// A whole response, for small bodies.
public struct HTTPResponse: Sendable, Equatable {
    public var head: HTTPResponseHead
    public var body: Data

    public init(head: HTTPResponseHead, body: Data) {
        self.head = head
        self.body = body
    }

    public var status: Int { head.status }
}

/// Header fields, looked up without regard to case.
public struct HTTPHeaders: Sendable, Equatable {
    private var fields: [String: String] = [:]

    public init(_ pairs: [String: String] = [:]) {
        for (name, value) in pairs { fields[name.lowercased()] = value }
    }

    public subscript(name: String) -> String? {
        get { fields[name.lowercased()] }
        set { fields[name.lowercased()] = newValue }
    }
}
