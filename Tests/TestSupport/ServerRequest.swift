import Foundation

/// One HTTP request as received by ``LoopbackServer``, recorded in its log and passed to its handler.
public struct ServerRequest: Sendable {
    /// The request method exactly as sent, e.g. `GET`.
    public let method: String
    /// The raw request-target, e.g. `/3/album/abc?x=1`.
    public let target: String
    /// The target without its query, e.g. `/3/album/abc`.
    public let path: String
    /// The part of the target after the first `?`, without the `?`; `nil` when there is none.
    public let query: String?
    /// The protocol version from the request line, `HTTP/1.1` or `HTTP/1.0`.
    public let version: String
    /// Every header field in the order received, names and values as sent (values trimmed of surrounding whitespace).
    public let headers: [(name: String, value: String)]
    /// The request body, framed by `Content-Length` or chunked transfer coding; empty when there is none,
    /// and when it was spooled to ``bodyFile``.
    public let body: Data
    /// The file a long body was written to instead of ``body``, when the server spools bodies
    /// (``LoopbackServer/BodySpooling``); it exists only while the handler runs. `nil` for bodies in memory.
    public let bodyFile: String?
    /// The body's length in bytes, wherever it is: ``body``'s count, or the length of ``bodyFile``.
    public let bodyLength: Int
    /// Identifies the TCP connection that carried the request; equal IDs mean the client reused a connection.
    public let connectionID: Int

    /// Creates a request by hand, e.g. to unit-test a handler or ``ServerResponse/file(_:contentType:for:etag:honourRange:)``
    /// without a network round trip. `path` and `query` are derived from `target`. With a `bodyFile`,
    /// `body` should be empty; `bodyLength` defaults to `body.count`, or the file's size.
    public init(
        method: String = "GET",
        target: String,
        headers: [(name: String, value: String)] = [],
        body: Data = Data(),
        connectionID: Int = 0,
        version: String = "HTTP/1.1",
        bodyFile: String? = nil,
        bodyLength: Int? = nil
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        if let bodyLength {
            self.bodyLength = bodyLength
        } else if let bodyFile {
            let size = (try? FileManager.default.attributesOfItem(atPath: bodyFile)[.size] as? NSNumber)?.intValue
            self.bodyLength = size ?? 0
        } else {
            self.bodyLength = body.count
        }
        self.connectionID = connectionID
        let (path, query) = Self.split(target: target)
        self.path = path
        self.query = query
    }

    /// The value of the first header whose name matches `name` case-insensitively, or `nil`.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The values of every header whose name matches `name` case-insensitively, in the order received.
    public func headerValues(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }

    /// The request body decoded as UTF-8 (invalid sequences are replaced), handy for asserting on JSON or form posts.
    /// Empty for a spooled body: see ``bodyData(limit:)``.
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }

    // Absolute-form targets ("http://host/p?q") are legal in HTTP/1.1, so the
    // path is taken from after the authority rather than assumed to start at index 0.
    private static func split(target: String) -> (path: String, query: String?) {
        var rest = Substring(target)
        if !rest.hasPrefix("/"), let schemeEnd = rest.range(of: "://") {
            let afterScheme = rest[schemeEnd.upperBound...]
            if let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                rest = afterScheme[slash...]
            } else {
                rest = "/"
            }
        }
        guard let mark = rest.firstIndex(of: "?") else {
            return (rest.isEmpty ? "/" : String(rest), nil)
        }
        let path = rest[..<mark]
        return (path.isEmpty ? "/" : String(path), String(rest[rest.index(after: mark)...]))
    }
}
