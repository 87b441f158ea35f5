import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One client connection of `HTTPServer`: reads one request (head, then a body framed by
/// `Content-Length`), writes one response, and closes.
/// A request refused before the handler sees it, with the answer to send.
struct Refusal: Error {
    let response: HTTPServer.Response
    init(_ response: HTTPServer.Response) { self.response = response }
}

struct Connection {
    let fd: Int32
    let limits: HTTPServer.Limits
    /// Bytes read past the head: the start of the body.
    private var buffered = Data()

    init(fd: Int32, limits: HTTPServer.Limits) {
        self.fd = fd
        self.limits = limits
    }

    mutating func readRequest(spool: String) -> Result<HTTPServer.Request, Refusal> {
        guard let head = readHead() else { return .failure(Refusal(HTTPServer.error(400, "no request, or a request head over \(limits.head) bytes"))) }
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1."), requestLine[1].hasPrefix("/") else {
            return .failure(Refusal(HTTPServer.error(400, "not an HTTP/1.1 request")))
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return .failure(Refusal(HTTPServer.error(400, "a header without a colon"))) }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let target = String(requestLine[1])
        let path = String(target.split(separator: "?", maxSplits: 1).first ?? "/")
        let query = target.contains("?") ? String(target.split(separator: "?", maxSplits: 1).last ?? "") : nil
        if headers["transfer-encoding"] != nil {
            return .failure(Refusal(HTTPServer.error(411, "send the body with a Content-Length, not chunked")))
        }
        let length: Int64
        if let text = headers["content-length"] {
            guard let value = Int64(text), value >= 0 else { return .failure(Refusal(HTTPServer.error(400, "a malformed Content-Length"))) }
            length = value
        } else {
            length = 0
        }
        // Refused from its length, before any of it is read.
        guard length <= limits.bodyLimit else {
            return .failure(Refusal(HTTPServer.error(413, "the body is over \(limits.bodyLimit) bytes")))
        }
        if headers["expect"]?.lowercased() == "100-continue", length > 0 { send(Data("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
        var body = Data()
        var bodyFile: String?
        if length <= limits.memoryLimit {
            guard let read = readBody(length) else { return .failure(Refusal(HTTPServer.error(400, "the body ended early"))) }
            body = read
        } else {
            let file = "\(spool)/.request-\(UUID().uuidString)"
            guard spoolBody(length, to: file) else {
                unlink(file)
                return .failure(Refusal(HTTPServer.error(400, "the body ended early or could not be stored")))
            }
            bodyFile = file
        }
        return .success(HTTPServer.Request(
            method: String(requestLine[0]), path: path, query: query, headers: headers, body: body, bodyFile: bodyFile))
    }

    private mutating func readHead() -> String? {
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while data.count <= limits.head {
            if let end = data.range(of: Data("\r\n\r\n".utf8)) {
                buffered = data[end.upperBound...]
                return String(data: data[..<end.lowerBound], encoding: .utf8)
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return nil }
            data.append(contentsOf: chunk[0..<count])
        }
        return nil
    }

    private mutating func readBody(_ length: Int64) -> Data? {
        var body = Data(buffered.prefix(Int(length)))
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while body.count < Int(length) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, Int(length) - body.count), 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return nil }
            body.append(contentsOf: chunk[0..<count])
        }
        return body
    }

    private mutating func spoolBody(_ length: Int64, to path: String) -> Bool {
        let out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard out >= 0 else { return false }
        defer { close(out) }
        var written: Int64 = 0
        func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(out, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        let first = buffered.prefix(Int(length))
        guard first.withUnsafeBytes(write) else { return false }
        written = Int64(first.count)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while written < length {
            let count = recv(fd, chunk.baseAddress, min(chunk.count, Int(length - written)), 0)
            if count < 0, errno == EINTR { continue }
            guard count > 0, write(UnsafeRawBufferPointer(rebasing: chunk[0..<count])) else { return false }
            written += Int64(count)
        }
        return true
    }

    func respond(_ response: HTTPServer.Response) {
        let reason = [200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                      405: "Method Not Allowed", 411: "Length Required", 413: "Content Too Large", 415: "Unsupported Media Type",
                      500: "Internal Server Error", 503: "Service Unavailable"][response.status] ?? "Status"
        var head = "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\n"
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n"
        if response.status == 401 { head += "WWW-Authenticate: Bearer\r\n" }
        send(Data((head + "\r\n").utf8) + response.body)
    }

    private func send(_ data: Data) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return }
                offset += count
            }
        }
    }
}
