import Dispatch
import Foundation
import Glibc

/// A real HTTP/1.1 server on `127.0.0.1` and a kernel-chosen port, for tests whose client is `URLSession`.
///
/// Each accepted connection gets its own thread, which reads requests one after another (keep-alive),
/// records each in ``requests``, calls the handler on that thread and writes the returned
/// ``ServerResponse`` according to its ``ServerResponse/Behavior``, which can inject faults.
///
/// Call ``stop()`` when done (it is also called from `deinit`). A handler that captures the server
/// strongly keeps it alive, so capture it weakly or stop it explicitly.
///
/// Bodies are held in memory (``ServerRequest/body``) unless the server is started with a
/// ``BodySpooling``: then a body longer than its threshold goes to a file of its own while it is read
/// (``ServerRequest/bodyFile``), so a 200 MB upload costs the test process no more memory than a small one.
public final class LoopbackServer: Sendable {
    /// Produces the response for one request. Called on the connection's own thread, so it may block or be slow;
    /// requests on different connections run concurrently.
    public typealias Handler = @Sendable (ServerRequest) -> ServerResponse

    /// The TCP port the kernel assigned to the listening socket.
    public let port: Int
    /// `http://127.0.0.1:PORT`, with no trailing slash.
    public let baseURL: URL
    // Threads reference the core, not the server, so dropping the last reference to the server runs
    // deinit (which stops everything) even while connection threads are still alive.
    private let core: ServerCore

    /// Binds `127.0.0.1:0`, listens, and starts accepting connections on a thread of its own.
    /// - Parameters:
    ///   - spooling: where and above what length request bodies are written to a file instead of
    ///     memory; `nil` (the default) keeps every body in memory.
    ///   - handler: answers each request.
    /// - Throws: ``StartError`` when a socket call fails.
    public init(spooling: BodySpooling? = nil, handler: @escaping Handler) throws {
        _ = ignoreSIGPIPEOnce
        let (fd, port) = try Self.openListener()
        guard let url = URL(string: "http://127.0.0.1:\(port)") else {
            close(fd)
            throw StartError(operation: "URL(string:)", code: EINVAL)
        }
        self.port = port
        self.baseURL = url
        self.core = ServerCore(listenFD: fd, spooling: spooling, handler: handler)
        core.start()
    }

    deinit {
        core.stop()
    }

    /// A snapshot of every request received since start or the last ``resetLog()``, in arrival order.
    /// A request is logged as soon as its body has been read, before the handler runs.
    public var requests: [ServerRequest] {
        core.state.withLock { $0.log }
    }

    /// How many requests have been logged; cheaper than `requests.count`.
    public var requestCount: Int {
        core.state.withLock { $0.log.count }
    }

    /// The logged requests whose ``ServerRequest/path`` starts with `pathPrefix`, in arrival order.
    public func requests(matching pathPrefix: String) -> [ServerRequest] {
        core.state.withLock { state in state.log.filter { $0.path.hasPrefix(pathPrefix) } }
    }

    /// Forgets every logged request; connection IDs keep counting up.
    public func resetLog() {
        core.state.withLock { $0.log.removeAll() }
    }

    /// How many client connections are open right now.
    public var openConnectionCount: Int {
        core.state.withLock { $0.connections.count }
    }

    /// Closes the listener and every open connection, ending stalled and trickling responses, then waits
    /// (at most two seconds, for a handler that is still busy) for the server's threads to finish.
    /// Idempotent; called from `deinit`. When called from inside a handler it does not wait.
    public func stop() {
        core.stop()
    }
}

extension LoopbackServer {
    /// A socket call failed while the server was starting.
    public struct StartError: Error, CustomStringConvertible {
        /// The call that failed, e.g. `bind`.
        public let operation: String
        /// The `errno` it left.
        public let code: Int32

        /// Creates the error for `operation` failing with `errno` value `code`.
        public init(operation: String, code: Int32) {
            self.operation = operation
            self.code = code
        }

        /// `"<operation> failed: <strerror text>"`.
        public var description: String {
            "\(operation) failed: \(String(cString: strerror(code)))"
        }
    }

    private static func openListener() throws -> (fd: Int32, port: Int) {
        // CLOEXEC so a test that spawns a child process does not leak the listener into it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw StartError(operation: "socket", code: errno)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw StartError(operation: "bind", code: code)
        }
        guard listen(fd, SOMAXCONN) == 0 else {
            let code = errno
            close(fd)
            throw StartError(operation: "listen", code: code)
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw StartError(operation: "getsockname", code: code)
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

// A client that vanishes mid-response must not kill the test process; MSG_NOSIGNAL covers send(),
// this covers anything else in the process (libcurl's own writes included) once, lazily and thread-safely.
private let ignoreSIGPIPEOnce: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()

// Shared between the public object, the accept thread and the connection threads.
private final class ServerCore: Sendable {
    struct State: Sendable {
        var listenerOpen = true
        var stopped = false
        // Connection ID -> fd. An fd is removed and closed under the lock, and stop() shuts fds down under
        // the same lock, so stop() can never shut down a descriptor number the kernel has already reused.
        var connections: [Int: Int32] = [:]
        var nextConnectionID = 1
        var log: [ServerRequest] = []
        // Lets stop() notice it is running inside a handler, where waiting for all threads would wait for itself.
        var connectionThreads: Set<pthread_t> = []
    }

    let state: Locked<State>
    let handler: LoopbackServer.Handler
    let spooling: LoopbackServer.BodySpooling?
    // Only the accept thread closes the listener, after accept() has returned for good, so reading it
    // without the lock is safe; stop() shuts it down under the lock while `listenerOpen` is true.
    let listenFD: Int32
    let threads = DispatchGroup()

    init(listenFD: Int32, spooling: LoopbackServer.BodySpooling?, handler: @escaping LoopbackServer.Handler) {
        self.listenFD = listenFD
        self.spooling = spooling
        self.handler = handler
        self.state = Locked(State())
    }

    var isStopped: Bool {
        state.withLock { $0.stopped }
    }

    func start() {
        threads.enter()
        let thread = Thread { [self] in
            acceptLoop()
            threads.leave()
        }
        thread.name = "LoopbackServer accept"
        thread.start()
    }

    func stop() {
        let me = pthread_self()
        let insideHandler = state.withLock { state -> Bool in
            state.stopped = true
            if state.listenerOpen {
                // shutdown(2) on a listening socket makes a blocked accept() return EINVAL on Linux;
                // close() alone would leave the accept thread blocked.
                _ = shutdown(listenFD, Int32(SHUT_RDWR))
            }
            for fd in state.connections.values {
                _ = shutdown(fd, Int32(SHUT_RDWR))
            }
            return state.connectionThreads.contains(me)
        }
        if !insideHandler {
            _ = threads.wait(timeout: .now() + 2)
        }
    }

    func record(_ request: ServerRequest) {
        state.withLock { $0.log.append(request) }
    }

    private func acceptLoop() {
        var failuresInARow = 0
        acceptLoop: while true {
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                let code = errno
                if isStopped {
                    break acceptLoop
                }
                switch code {
                case EINTR, ECONNABORTED, EPROTO:
                    continue acceptLoop
                case EBADF, EINVAL, ENOTSOCK:
                    // The listener itself is unusable: this thread is done.
                    break acceptLoop
                default:
                    // Out of descriptors or memory, or (accept(2), "Error handling") a network error
                    // of the pending connection passed on: back off and keep serving. Giving up here
                    // would refuse every later connection of a test that has nothing to do with it.
                    failuresInARow += 1
                    if failuresInARow > 500 { break acceptLoop }
                    usleep(10_000)
                    continue acceptLoop
                }
            }
            failuresInARow = 0
            // accept4(SOCK_CLOEXEC) is not exported by the Glibc module (it needs _GNU_SOURCE), so set it afterwards.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            var yes: Int32 = 1
            // Responses are written as head + body in separate sends; without NODELAY, Nagle plus the
            // client's delayed ACK can add ~40 ms per response.
            _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let id = state.withLock { state -> Int? in
                guard !state.stopped else { return nil }
                let id = state.nextConnectionID
                state.nextConnectionID += 1
                state.connections[id] = client
                return id
            }
            guard let id else {
                close(client)
                break acceptLoop
            }
            threads.enter()
            let thread = Thread { [self] in
                serve(fd: client, id: id)
                threads.leave()
            }
            thread.name = "LoopbackServer connection \(id)"
            thread.start()
        }
        state.withLock { state in
            state.listenerOpen = false
            close(listenFD)
        }
    }

    private func serve(fd: Int32, id: Int) {
        let me = pthread_self()
        state.withLock { _ = $0.connectionThreads.insert(me) }
        var connection = Connection(fd: fd, id: id, core: self)
        let ending = connection.run()
        state.withLock { state in
            state.connectionThreads.remove(me)
            state.connections[id] = nil
            if ending == .reset {
                // Linger on with a zero timeout: close() discards unsent data and sends RST instead of FIN.
                var option = linger(l_onoff: 1, l_linger: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
            }
            close(fd)
        }
    }
}

// How a connection ends once its thread stops serving it.
private enum Ending: Equatable {
    case keepOpen
    case closeGracefully
    case closeNow
    case reset
}

// One client connection: parses requests from the socket and writes responses. Lives on one thread only.
private struct Connection {
    let fd: Int32
    let id: Int
    let core: ServerCore
    // Received bytes; everything before `start` has been consumed.
    private var buffer: [UInt8] = []
    private var start = 0
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    private static let maxHeadBytes = 64 * 1024
    private static let maxLineBytes = 8 * 1024
    private static let chunkSize = 16 * 1024
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
    // Not exported by the Glibc module (it needs _GNU_SOURCE); the Linux value from <bits/poll.h>.
    private static let pollReadHangUp: Int16 = 0x2000

    init(fd: Int32, id: Int, core: ServerCore) {
        self.fd = fd
        self.id = id
        self.core = core
    }

    private enum Incoming {
        case request(ServerRequest, keepAlive: Bool)
        case closed
        case bad(status: Int, message: String)
    }

    mutating func run() -> Ending {
        while !core.isStopped {
            switch readRequest() {
            case .closed:
                return .closeNow
            case .bad(let status, let message):
                sendError(status: status, message: message)
                gracefulClose()
                return .closeNow
            case .request(let request, let keepAlive):
                core.record(request)
                let response = core.handler(request)
                // A spooled body lives only while the handler runs; a handler keeps what it needs.
                if let file = request.bodyFile {
                    unlink(file)
                }
                switch write(response, for: request, keepAlive: keepAlive) {
                case .keepOpen:
                    continue
                case .closeGracefully:
                    gracefulClose()
                    return .closeNow
                case .closeNow:
                    return .closeNow
                case .reset:
                    return .reset
                }
            }
        }
        return .closeNow
    }

    // MARK: Reading

    // Appends whatever recv() returns; false on EOF, error, or shutdown by stop(). It never moves bytes
    // already buffered (that happens only between requests), so indices held by callers stay valid.
    private mutating func fill() -> Bool {
        let fd = self.fd
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: scratch[0..<count])
                return true
            }
            if count < 0, errno == EINTR {
                continue
            }
            return false
        }
    }

    private var available: Int {
        buffer.count - start
    }

    // The index just past the blank line that ends the head, accepting CRLF or bare LF line ends.
    private func headEnd(from index: Int) -> Int? {
        var position = index
        while position < buffer.count {
            if buffer[position] == Self.lf {
                if position + 1 < buffer.count, buffer[position + 1] == Self.lf {
                    return position + 2
                }
                if position + 2 < buffer.count, buffer[position + 1] == Self.cr, buffer[position + 2] == Self.lf {
                    return position + 3
                }
            }
            position += 1
        }
        return nil
    }

    private mutating func readRequest() -> Incoming {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var scanFrom = 0
        let end: Int
        while true {
            // RFC 9112 §2.2: ignore empty lines received before a request line.
            while start < buffer.count, buffer[start] == Self.cr || buffer[start] == Self.lf {
                start += 1
            }
            if let found = headEnd(from: max(scanFrom, start)) {
                end = found
                break
            }
            if available > Self.maxHeadBytes {
                return .bad(status: 431, message: "request head larger than \(Self.maxHeadBytes) bytes")
            }
            // The terminator is at most three bytes, so re-scan only the tail that could start one.
            scanFrom = max(start, buffer.count - 2)
            guard fill() else {
                return .closed
            }
        }
        let head = buffer[start..<end]
        start = end
        return parse(head: head)
    }

    private mutating func parse(head: ArraySlice<UInt8>) -> Incoming {
        var lines = head.split(separator: Self.lf, omittingEmptySubsequences: false).map { line in
            line.last == Self.cr ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true {
            lines.removeLast()
        }
        guard let requestLine = lines.first else {
            return .bad(status: 400, message: "empty request")
        }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .bad(status: 400, message: "malformed request line")
        }
        let method = Self.decode(parts[0])
        let target = Self.decode(parts[1])
        let version = Self.decode(parts[2])
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else {
            return .bad(status: 400, message: "invalid method")
        }
        guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }),
              target.hasPrefix("/") || target == "*" || target.contains("://")
        else {
            return .bad(status: 400, message: "invalid request-target")
        }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            if version.hasPrefix("HTTP/"), version.count == 8 {
                return .bad(status: 505, message: "unsupported HTTP version")
            }
            return .bad(status: 400, message: "invalid HTTP version")
        }

        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let first = line.first, first != 0x20, first != 0x09 else {
                // Obsolete line folding (or an empty line inside the head) is rejected, as RFC 9112 allows.
                return .bad(status: 400, message: "obsolete line folding or empty header line")
            }
            guard let colon = line.firstIndex(of: 0x3A) else {
                return .bad(status: 400, message: "header line without colon")
            }
            let nameBytes = line[line.startIndex..<colon]
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(Self.isTokenByte) else {
                return .bad(status: 400, message: "invalid header name")
            }
            var valueBytes = line[line.index(after: colon)...]
            while let byte = valueBytes.first, byte == 0x20 || byte == 0x09 {
                valueBytes = valueBytes.dropFirst()
            }
            while let byte = valueBytes.last, byte == 0x20 || byte == 0x09 {
                valueBytes = valueBytes.dropLast()
            }
            guard !valueBytes.contains(where: { $0 == 0 || $0 == Self.cr }) else {
                return .bad(status: 400, message: "invalid header value")
            }
            headers.append((Self.decode(nameBytes), Self.decode(valueBytes)))
        }

        let probe = ServerRequest(method: method, target: target, headers: headers, version: version)
        if version == "HTTP/1.1", probe.header("Host") == nil {
            return .bad(status: 400, message: "missing Host header")
        }
        let connectionTokens = Set(probe.headerValues("Connection").flatMap(Self.tokens))
        let keepAlive = version == "HTTP/1.1"
            ? !connectionTokens.contains("close")
            : connectionTokens.contains("keep-alive")

        let body: SpooledBody
        switch readBody(of: probe) {
        case .success(let read):
            body = read
        case .failure(.closed):
            return .closed
        case .failure(.bad(let status, let message)):
            return .bad(status: status, message: message)
        }
        let request = ServerRequest(
            method: method,
            target: target,
            headers: headers,
            body: body.data,
            connectionID: id,
            version: version,
            bodyFile: body.file,
            bodyLength: body.length
        )
        return .request(request, keepAlive: keepAlive)
    }

    private enum BodyError: Error {
        case closed
        case bad(status: Int, message: String)
    }

    private static let spoolFailure = BodyError.bad(status: 500, message: "cannot write the spool file")

    // A body read into memory, or spooled to a file when the server spools bodies this long.
    private struct SpooledBody {
        var data = Data()
        var file: String?
        var length = 0

        static func memory(_ data: Data) -> SpooledBody { SpooledBody(data: data, length: data.count) }
    }

    private mutating func readBody(of request: ServerRequest) -> Result<SpooledBody, BodyError> {
        let transferCodings = request.headerValues("Transfer-Encoding").flatMap(Self.tokens)
        let lengths = request.headerValues("Content-Length").flatMap(Self.tokens)
        if !transferCodings.isEmpty {
            // Both framings at once is the classic request-smuggling shape; refuse rather than guess.
            guard lengths.isEmpty else {
                return .failure(.bad(status: 400, message: "both Transfer-Encoding and Content-Length"))
            }
            guard transferCodings == ["chunked"] else {
                return .failure(.bad(status: 501, message: "unsupported transfer coding"))
            }
            if let failure = answerExpectation(of: request, bodyAlreadyHere: false) {
                return .failure(failure)
            }
            return readChunkedBody()
        }
        guard let first = lengths.first else {
            return .success(SpooledBody())
        }
        guard lengths.allSatisfy({ $0 == first }), first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let length = Int(first)
        else {
            return .failure(.bad(status: 400, message: "invalid Content-Length"))
        }
        guard length > 0 else {
            return .success(SpooledBody())
        }
        if let failure = answerExpectation(of: request, bodyAlreadyHere: available >= length) {
            return .failure(failure)
        }
        if let spooling = core.spooling, length > spooling.threshold {
            guard let spool = BodySpool(directory: spooling.directory) else {
                return .failure(.bad(status: 500, message: "cannot create a spool file in \(spooling.directory)"))
            }
            if case .failure(let error) = copy(length, into: spool) {
                spool.remove()
                return .failure(error)
            }
            return spool.finish() ? .success(SpooledBody(file: spool.path, length: length)) : .failure(Self.spoolFailure)
        }
        while available < length {
            guard fill() else {
                return .failure(.closed)
            }
        }
        let body = Data(buffer[start..<(start + length)])
        start += length
        return .success(.memory(body))
    }

    // Moves the next `count` body bytes, buffered ones first, then straight from the socket, into
    // `spool`; never reads past them, so a pipelined request stays in the buffer. Consumed bytes are
    // dropped from the buffer here (no caller holds an index into it while a body is copied), or a
    // chunked body, whose size lines are read through the buffer, would pile up there whole.
    private mutating func copy(_ count: Int, into spool: BodySpool) -> Result<Void, BodyError> {
        var remaining = count
        let buffered = min(available, remaining)
        if buffered > 0 {
            let written = buffer[start..<(start + buffered)].withUnsafeBytes { spool.write($0) }
            guard written else { return .failure(Self.spoolFailure) }
            start += buffered
            remaining -= buffered
        }
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        let fd = self.fd
        while remaining > 0 {
            let received = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, remaining), 0) }
            if received > 0 {
                let written = scratch.withUnsafeBytes { spool.write(UnsafeRawBufferPointer(rebasing: $0[0..<received])) }
                guard written else { return .failure(Self.spoolFailure) }
                remaining -= received
            } else if received < 0, errno == EINTR {
                continue
            } else {
                return .failure(.closed)
            }
        }
        return .success(())
    }

    // libcurl sends `Expect: 100-continue` before large uploads and waits up to a second for this
    // interim answer, so answering promptly keeps POST-heavy tests fast.
    private mutating func answerExpectation(of request: ServerRequest, bodyAlreadyHere: Bool) -> BodyError? {
        guard let expectation = request.header("Expect") else {
            return nil
        }
        guard expectation.lowercased() == "100-continue" else {
            return .bad(status: 417, message: "unsupported expectation")
        }
        guard request.version == "HTTP/1.1", !bodyAlreadyHere else {
            return nil
        }
        return sendAll(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) ? nil : .closed
    }

    // A line ending in LF (CR optional), without its line end; nil on EOF or an over-long line.
    private mutating func readLine() -> Result<ArraySlice<UInt8>, BodyError> {
        var scanFrom = start
        while true {
            if let lf = buffer[scanFrom...].firstIndex(of: Self.lf) {
                var line = buffer[start..<lf]
                if line.last == Self.cr {
                    line = line.dropLast()
                }
                start = lf + 1
                return .success(line)
            }
            if available > Self.maxLineBytes {
                return .failure(.bad(status: 400, message: "line too long"))
            }
            scanFrom = buffer.count
            guard fill() else {
                return .failure(.closed)
            }
        }
    }

    private mutating func readChunkedBody() -> Result<SpooledBody, BodyError> {
        var spool: BodySpool?
        let result = readChunkedBody(spool: &spool)
        if case .failure = result {
            spool?.remove()
        }
        return result
    }

    // Chunks go to memory until the total passes the spooling threshold, then everything so far
    // and every later chunk go to `spool`.
    private mutating func readChunkedBody(spool: inout BodySpool?) -> Result<SpooledBody, BodyError> {
        var body = Data()
        var total = 0
        while true {
            let line: ArraySlice<UInt8>
            switch readLine() {
            case .success(let read): line = read
            case .failure(let error): return .failure(error)
            }
            // Chunk extensions (";name=value") are allowed and meaningless here.
            let sizeBytes = line.prefix { $0 != 0x3B }.filter { $0 != 0x20 && $0 != 0x09 }
            guard !sizeBytes.isEmpty, sizeBytes.count <= 15,
                  let size = Int(Self.decode(sizeBytes[...]), radix: 16), size >= 0
            else {
                return .failure(.bad(status: 400, message: "invalid chunk size"))
            }
            if size == 0 {
                // Trailer fields up to the empty line; they are read and dropped.
                while true {
                    switch readLine() {
                    case .success(let trailer) where trailer.isEmpty:
                        guard let spool else { return .success(.memory(body)) }
                        return spool.finish() ? .success(SpooledBody(file: spool.path, length: total)) : .failure(Self.spoolFailure)
                    case .success: continue
                    case .failure(let error): return .failure(error)
                    }
                }
            }
            total += size
            if spool == nil, let spooling = core.spooling, total > spooling.threshold {
                guard let created = BodySpool(directory: spooling.directory) else {
                    return .failure(.bad(status: 500, message: "cannot create a spool file in \(spooling.directory)"))
                }
                spool = created
                guard body.withUnsafeBytes({ created.write($0) }) else { return .failure(Self.spoolFailure) }
                body = Data()
            }
            if let spool {
                if case .failure(let error) = copy(size, into: spool) { return .failure(error) }
            } else {
                while available < size {
                    guard fill() else {
                        return .failure(.closed)
                    }
                }
                body.append(contentsOf: buffer[start..<(start + size)])
                start += size
            }
            switch readLine() {
            case .success(let rest) where rest.isEmpty: continue
            case .success: return .failure(.bad(status: 400, message: "chunk data longer than its size"))
            case .failure(let error): return .failure(error)
            }
        }
    }

    // MARK: Writing

    private mutating func write(_ response: ServerResponse, for request: ServerRequest, keepAlive wanted: Bool) -> Ending {
        switch response.behavior {
        case .closeWithoutResponse:
            return .closeGracefully
        case .resetWithoutResponse:
            return .reset
        case .stallWithoutResponse:
            while !waitForHangUp(seconds: 3600) {}
            return .closeNow
        default:
            break
        }
        let status = response.status
        let bodyAllowed = !((100...199).contains(status) || status == 204 || status == 304)
        let sendsBody = bodyAllowed && request.method != "HEAD"
        let completesNormally: Bool
        switch response.behavior {
        case .normal, .chunked, .trickle: completesNormally = true
        default: completesNormally = false
        }
        let responseCloses = response.headers
            .filter { $0.name.lowercased() == "connection" }
            .flatMap { Self.tokens($0.value) }
            .contains("close")
        let keepAlive = wanted && completesNormally && !responseCloses && !core.isStopped

        var headers = response.headers
        func has(_ name: String) -> Bool {
            headers.contains { $0.name.lowercased() == name }
        }
        if !has("date") {
            headers.append(("Date", Self.httpDate()))
        }
        if bodyAllowed, !has("content-length"), !has("transfer-encoding") {
            if response.behavior == .chunked {
                headers.append(("Transfer-Encoding", "chunked"))
            } else {
                headers.append(("Content-Length", String(response.body.count)))
            }
        }
        // Fault behaviours deliberately look like an ordinary keep-alive response that then goes wrong.
        if completesNormally, !has("connection") {
            if !keepAlive {
                headers.append(("Connection", "close"))
            } else if request.version == "HTTP/1.0" {
                headers.append(("Connection", "keep-alive"))
            }
        }
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        head += "\r\n"
        let headBytes = Array(head.utf8)
        let body = sendsBody ? response.body : Data()

        func partial(_ count: Int) -> Data {
            body.prefix(max(0, min(count, body.count)))
        }

        switch response.behavior {
        case .normal:
            guard sendHead(headBytes, then: body) else { return .closeNow }
            return keepAlive ? .keepOpen : .closeGracefully
        case .chunked:
            // HEAD and bodiless statuses get no chunked framing at all, not even the terminator.
            guard sendAll(headBytes), !sendsBody || sendChunked(body) else { return .closeNow }
            return keepAlive ? .keepOpen : .closeGracefully
        case .trickle(let chunkSize, let interval):
            guard sendAll(headBytes) else { return .closeNow }
            let step = max(1, chunkSize)
            var offset = 0
            while offset < body.count {
                let piece = body.dropFirst(offset).prefix(step)
                guard sendAll(piece) else { return .closeNow }
                offset += piece.count
                if offset < body.count, waitForHangUp(seconds: interval) {
                    return .closeNow
                }
            }
            return keepAlive ? .keepOpen : .closeGracefully
        case .dropAfter(let bytes, let reset):
            _ = sendHead(headBytes, then: partial(bytes))
            return reset ? .reset : .closeNow
        case .shortBody(let bytes):
            _ = sendHead(headBytes, then: partial(bytes))
            return .closeGracefully
        case .stallAfter(let bytes):
            if sendHead(headBytes, then: partial(bytes)) {
                while !waitForHangUp(seconds: 3600) {}
            }
            return .closeNow
        case .closeWithoutResponse, .resetWithoutResponse, .stallWithoutResponse:
            return .closeGracefully
        }
    }

    private func sendError(status: Int, message: String) {
        let body = Array("\(message)\n".utf8)
        let head = "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.count)\r\n"
            + "Connection: close\r\n"
            + "Date: \(Self.httpDate())\r\n\r\n"
        _ = sendAll(Array(head.utf8) + body)
    }

    // Small bodies go out in the same send as the head: one segment instead of two.
    private func sendHead(_ head: [UInt8], then body: Data) -> Bool {
        if body.count <= 64 * 1024 {
            return sendAll(head + body)
        }
        return sendAll(head) && sendAll(body)
    }

    private func sendChunked(_ body: Data) -> Bool {
        var offset = 0
        while offset < body.count {
            let piece = body.dropFirst(offset).prefix(Self.chunkSize)
            var frame = Array("\(String(piece.count, radix: 16))\r\n".utf8)
            frame.append(contentsOf: piece)
            frame.append(contentsOf: [Self.cr, Self.lf])
            guard sendAll(frame) else { return false }
            offset += piece.count
        }
        return sendAll(Array("0\r\n\r\n".utf8))
    }

    private func sendAll<Bytes: DataProtocol & ContiguousBytes>(_ bytes: Bytes) -> Bool {
        let fd = self.fd
        return bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                // MSG_NOSIGNAL: a peer that has gone away yields EPIPE here instead of killing the process.
                let sent = send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if sent < 0, errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }

    // Waits up to `seconds`; true as soon as the peer closes or resets, or the server is stopping.
    // Polls for hang-up only (not POLLIN), so a pipelined request does not count as going away.
    private func waitForHangUp(seconds: TimeInterval) -> Bool {
        // Clamped so that NaN or infinity from a test cannot trap in the UInt64 conversion.
        let bounded = seconds.isNaN ? 0 : min(max(0, seconds), 86_400)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(bounded * 1e9)
        while true {
            if core.isStopped {
                return true
            }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else {
                return false
            }
            // Wake at least every 250 ms to re-check `stopped`, belt and braces next to shutdown(2).
            let milliseconds = Int32(min(250, (deadline - now + 999_999) / 1_000_000))
            var entry = pollfd(fd: fd, events: Self.pollReadHangUp, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return true
            }
            let hangUp = Self.pollReadHangUp | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)
            if ready > 0, entry.revents & hangUp != 0 {
                return true
            }
        }
    }

    // Send FIN, then read and discard until the peer closes (at most a second), so that a close() with
    // unread input does not turn into an RST that could destroy the response before the client reads it.
    private mutating func gracefulClose() {
        _ = shutdown(fd, Int32(SHUT_WR))
        let deadline = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
        let fd = self.fd
        while !core.isStopped {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(min(250, (deadline - now) / 1_000_000 + 1)))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else {
                if ready < 0 { return }
                continue
            }
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return }
        }
    }

    // MARK: Helpers

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    // UTF-8 when valid, else ISO-8859-1, which maps every byte and so can never fail.
    private static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    // Comma-separated list elements, trimmed and lowercased.
    private static func tokens(_ value: String) -> [String] {
        value.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
    }

    private static func httpDate() -> String {
        var now = time(nil)
        var parts = tm()
        _ = gmtime_r(&now, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String {
            value < 10 ? "0\(value)" : "\(value)"
        }
        let day = days[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        return "\(day), \(two(parts.tm_mday)) \(month) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 410: "Gone"
        case 416: "Range Not Satisfiable"
        case 417: "Expectation Failed"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}
