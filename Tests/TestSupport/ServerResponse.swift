import Foundation

/// What ``LoopbackServer`` sends back for one request: status, headers, body and how to deliver them.
///
/// The server adds `Content-Length` (or `Transfer-Encoding: chunked`), `Date` and, when it is going to
/// close the connection, `Connection: close`, each only when the handler did not already set that header.
public struct ServerResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields to send, in order. Framing headers the server would add are left alone when present here.
    public var headers: [(name: String, value: String)]
    /// The full representation. Fault behaviours declare its whole length but deliver only part of it.
    public var body: Data
    /// How the body is delivered, including injected faults.
    public var behavior: Behavior

    /// How a response is put on the wire. Everything except `normal`, `chunked` and `trickle` ends the connection.
    public enum Behavior: Sendable, Equatable {
        /// `Content-Length` and the whole body in one go.
        case normal
        /// `Transfer-Encoding: chunked`, the body in chunks of 16 KiB, then the zero-length terminator.
        case chunked
        /// Declares the full `Content-Length`, sends only the first `bytes` bytes of the body, then closes the
        /// socket abruptly: with `reset` the close uses `SO_LINGER` 0 so the client gets a TCP RST, otherwise a FIN.
        case dropAfter(bytes: Int, reset: Bool = true)
        /// Declares the full `Content-Length`, sends only the first `bytes` bytes, then closes cleanly (FIN).
        case shortBody(bytes: Int)
        /// Declares the full `Content-Length` and sends `chunkSize` bytes every `interval` seconds until done.
        case trickle(chunkSize: Int, interval: TimeInterval)
        /// Declares the full `Content-Length`, sends `bytes` bytes, then sends nothing more and keeps the socket
        /// open until the client goes away or the server stops.
        case stallAfter(bytes: Int)
        /// Reads the request, then closes the connection without sending anything.
        case closeWithoutResponse
        /// Reads the request, then resets the connection (TCP RST, `SO_LINGER` 0) without sending anything.
        case resetWithoutResponse
        /// Reads the request, then sends nothing and keeps the socket open until the client goes away or
        /// the server stops: the client sees only its own timeout.
        case stallWithoutResponse
    }

    /// Creates a response; with no arguments it is an empty `200 OK`.
    public init(
        status: Int = 200,
        headers: [(name: String, value: String)] = [],
        body: Data = Data(),
        behavior: Behavior = .normal
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.behavior = behavior
    }

    /// The value of the first header whose name matches `name` case-insensitively, or `nil`.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// A copy with `behavior` replaced, so fault injection reads naturally: `.json("{}").with(.stallAfter(bytes: 1))`.
    public func with(_ behavior: Behavior) -> ServerResponse {
        var copy = self
        copy.behavior = behavior
        return copy
    }

    /// A UTF-8 JSON body with `Content-Type: application/json`.
    public static func json(
        _ text: String,
        status: Int = 200,
        headers: [(name: String, value: String)] = []
    ) -> ServerResponse {
        bytes(Data(text.utf8), contentType: "application/json", status: status, headers: headers)
    }

    /// A UTF-8 HTML body with `Content-Type: text/html; charset=utf-8`.
    public static func html(_ text: String, status: Int = 200) -> ServerResponse {
        bytes(Data(text.utf8), contentType: "text/html; charset=utf-8", status: status)
    }

    /// A UTF-8 plain-text body with `Content-Type: text/plain; charset=utf-8`.
    public static func text(_ text: String, status: Int = 200) -> ServerResponse {
        bytes(Data(text.utf8), contentType: "text/plain; charset=utf-8", status: status)
    }

    /// An arbitrary body with the given `Content-Type`; `headers` follow the `Content-Type` header.
    public static func bytes(
        _ data: Data,
        contentType: String,
        status: Int = 200,
        headers: [(name: String, value: String)] = []
    ) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", contentType)] + headers, body: data)
    }

    /// A redirect with a `Location` header; `location` may be a path on this server or an absolute URL.
    public static func redirect(to location: String, status: Int = 302) -> ServerResponse {
        ServerResponse(status: status, headers: [("Location", location)])
    }

    /// A plain-text `404 Not Found`.
    public static func notFound() -> ServerResponse {
        text("Not Found", status: 404)
    }
}
