import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A small HTTP/1.1 server for `serve` (docs/http-api.md): one thread per connection (a slow
/// client holds only its own), at most `maxConnections` at once, one request per connection,
/// bounded heads and bodies (an oversized body is refused from its `Content-Length`, before it is
/// read), bodies above `memoryLimit` spooled to a file.
public final class HTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public let method: String
        public let path: String
        public let query: String?
        /// Lowercased names.
        public let headers: [String: String]
        /// The body when it is small.
        public let body: Data
        /// Where a large body was spooled (removed after the handler returns).
        public let bodyFile: String?
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        public var contentType = "application/json"

        public init(status: Int, body: Data, contentType: String = "application/json") {
            self.status = status
            self.body = body
            self.contentType = contentType
        }
    }

    public struct Limits: Sendable {
        public var head = 16_384
        /// Bodies up to this are read into memory.
        public var memoryLimit = 1 << 20
        /// The largest body taken (spooled to `spool`).
        public var bodyLimit: Int64 = 260_000_000
        public var maxConnections = 64
        /// A client that sends nothing for this long is dropped.
        public var idleTimeout: TimeInterval = 15

        public init() {}
    }

    public let port: Int
    private let socketFD: Int32
    private let limits: Limits
    private let spool: String
    private let handler: @Sendable (Request) -> Response
    private let lock = NSLock()
    private var open = 0
    private var stopped = false
    private let idle = NSCondition()

    /// Binds `address:port` (port 0: a free one) and starts accepting.
    /// - Parameter spool: a private folder for large bodies.
    public init(
        address: String, port: Int, limits: Limits = Limits(), spool: String, handler: @escaping @Sendable (Request) -> Response
    ) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServeError.bind("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else {
            close(fd)
            throw ServeError.bind("not an IPv4 address: \(address)")
        }
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ServeError.bind("\(address):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        socketFD = fd
        self.limits = limits
        self.spool = spool
        self.handler = handler
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Stops accepting and waits (up to `timeout`) for the requests in progress.
    public func stop(timeout: TimeInterval = 30) {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        let deadline = Date().addingTimeInterval(timeout)
        idle.lock()
        while openCount > 0, idle.wait(until: deadline) {}
        idle.unlock()
    }

    private var openCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return open
    }

    private func acceptLoop() {
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { return }
                usleep(10_000)
                continue
            }
            lock.lock()
            let full = open >= limits.maxConnections || stopped
            if !full { open += 1 }
            lock.unlock()
            if full {
                Connection(fd: client, limits: limits).respond(Self.error(503, "too many connections"))
                close(client)
                continue
            }
            Thread.detachNewThread { [self] in
                serve(client)
                close(client)
                lock.lock()
                open -= 1
                lock.unlock()
                idle.lock()
                idle.broadcast()
                idle.unlock()
            }
        }
    }

    private func serve(_ fd: Int32) {
        var timeout = timeval(tv_sec: Int(limits.idleTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var connection = Connection(fd: fd, limits: limits)
        switch connection.readRequest(spool: spool) {
        case .failure(let refusal):
            connection.respond(refusal.response)
        case .success(let request):
            let response = handler(request)
            if let file = request.bodyFile { unlink(file) }
            connection.respond(response)
        }
    }

    /// `{"error": "…"}` with `status`.
    public static func error(_ status: Int, _ message: String) -> Response {
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Response(status: status, body: Data("{\"error\":\"\(escaped)\"}\n".utf8))
    }
}

public enum ServeError: Error, Equatable, Sendable, CustomStringConvertible {
    case bind(String)

    public var description: String {
        switch self {
        case .bind(let reason): "cannot listen on \(reason)"
        }
    }
}
