import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Testing
import TestSupport

// A fresh session per test: nothing cached, nothing shared, so connection reuse seen by a test is its own.
func makeSession(timeout: TimeInterval = 10) -> URLSession {
    let configuration = URLSessionConfiguration.ephemeral
    configuration.urlCache = nil
    configuration.timeoutIntervalForRequest = timeout
    return URLSession(configuration: configuration)
}

struct UnexpectedResponse: Error {}

func fetch(_ session: URLSession, _ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
    let (data, response) = try await session.data(for: request)
    guard let http = response as? HTTPURLResponse else { throw UnexpectedResponse() }
    return (data, http)
}

func fetch(_ session: URLSession, _ url: URL) async throws -> (Data, HTTPURLResponse) {
    try await fetch(session, URLRequest(url: url))
}

// The URLError a request fails with, or nil when it unexpectedly succeeds (or fails some other way).
func urlError(_ session: URLSession, _ request: URLRequest) async -> URLError? {
    do {
        _ = try await session.data(for: request)
        return nil
    } catch let error as URLError {
        return error
    } catch {
        return nil
    }
}

func pattern(count: Int) -> Data {
    var bytes = [UInt8](repeating: 0, count: count)
    for index in bytes.indices {
        bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8)
    }
    return Data(bytes)
}

struct SocketError: Error {
    let call: String
    let code: Int32
}

// A bare TCP client, for what URLSession will not send: junk, split heads, pipelining, HTTP/1.0.
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket", code: errno) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            // Not closed here: every stored property is set, so deinit runs for the failed init
            // and closes it. Closing it here too closed it twice, and the second close took
            // whatever another test's thread had opened under that number in between (a catalog
            // test's file: the suite's one intermittent failure).
            throw SocketError(call: "connect", code: errno)
        }
    }

    deinit {
        close(fd)
    }

    func send(_ text: String) {
        send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    // Everything until the server closes (or 5 s of silence).
    func readToEnd() -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: received, as: UTF8.self)
    }

    // Reads until `marker` has been seen (or the server closes / 5 s of silence).
    func read(until marker: String) -> String {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        let wanted = Array(marker.utf8)
        while !received.suffix(wanted.count).elementsEqual(wanted) {
            guard recv(fd, &byte, 1, 0) == 1 else { break }
            received.append(byte)
        }
        return String(decoding: received, as: UTF8.self)
    }
}
