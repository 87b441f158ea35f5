import Foundation

/// What a request sends after its head.
public enum HTTPBody: Sendable, Equatable {
    /// A small body held in memory (JSON, a form): it costs twice its size in FoundationNetworking
    /// (docs/urlsession-linux.md §7), so never media.
    case bytes(Data, contentType: String)
    /// A file streamed from disk with its length as `Content-Length` (`uploadTask(with:fromFile:)`,
    /// the one path that streams with a length on Linux): memory stays flat whatever the size.
    /// `MultipartForm` writes a multipart body to such a file.
    case file(path: String, contentType: String)

    public var contentType: String {
        switch self {
        case .bytes(_, let type), .file(_, let type): type
        }
    }

    /// A JSON body.
    public static func json(_ data: Data) -> HTTPBody { .bytes(data, contentType: "application/json") }

    /// `application/x-www-form-urlencoded` fields, in order.
    public static func form(_ fields: [(String, String)]) -> HTTPBody {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)="
                + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }.joined(separator: "&")
        return .bytes(Data(text.utf8), contentType: "application/x-www-form-urlencoded")
    }
}

/// One HTTP request as the transport sends it.
public struct HTTPRequest: Sendable, Equatable {
    public var url: URL
    public var method: String
    /// Sent on this request only; `Authorization` is removed on any redirect to another origin.
    public var headers: [String: String]
    public var body: HTTPBody?
    /// Whether sending the request twice has the effect of sending it once. GET, HEAD, PUT and
    /// DELETE are (RFC 9110 §9.2.2); a POST is not unless marked so. Only an idempotent request is
    /// retried after a failure that leaves open whether the server acted on it (`Retrier`).
    public var isIdempotent: Bool
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
        body: HTTPBody? = nil,
        idempotent: Bool? = nil,
        idleTimeout: TimeInterval = 30,
        deadline: TimeInterval = 120,
        maxRedirects: Int = 5,
        stopRedirectsToPathSuffixes: [String] = []
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        isIdempotent = idempotent ?? ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method.uppercased())
        self.idleTimeout = idleTimeout
        self.deadline = deadline
        self.maxRedirects = maxRedirects
        self.stopRedirectsToPathSuffixes = stopRedirectsToPathSuffixes
    }
}

extension HTTPRequest {
    /// Whether a redirect to `target` is the answer rather than a hop (Imgur's removed-media redirect).
    func stopsRedirect(to target: URL) -> Bool {
        stopRedirectsToPathSuffixes.contains { target.path.hasSuffix($0) }
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

    /// The refusal of a body compressed although only `identity` was asked for: no transport decodes
    /// (docs/design.md), so it would reach the sink as it came.
    func unaskedEncoding(url: String) -> HTTPError? {
        guard let encoding = headers["content-encoding"]?.trimmingCharacters(in: .whitespaces), !encoding.isEmpty,
            encoding.lowercased() != "identity"
        else { return nil }
        return .unexpectedEncoding(url: url, encoding: encoding)
    }

    /// A body of another length than `Content-Length` said, for a response that has a body.
    func incompleteBody(received: Int64, method: String, url: String) -> HTTPError? {
        guard let expected = contentLength, method.uppercased() != "HEAD", status >= 200, status != 204, status != 304,
            received != expected
        else { return nil }
        return .incompleteBody(url: url, expected: expected, received: received)
    }
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

    /// Every field, lowercased names.
    public var all: [String: String] { fields }

    public init(_ pairs: [String: String] = [:]) {
        for (name, value) in pairs { fields[name.lowercased()] = value }
    }

    public subscript(name: String) -> String? {
        get { fields[name.lowercased()] }
        set { fields[name.lowercased()] = newValue }
    }
}
