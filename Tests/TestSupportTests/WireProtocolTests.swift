import Foundation
import Testing
import TestSupport

// Drives the server with a bare socket, for what URLSession never sends.
@Suite struct WireProtocolTests {
    @Test func junkGets400AndTheConnectionCloses() throws {
        let server = try LoopbackServer { _ in .html("never") }
        defer { server.stop() }
        for junk in ["hello\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.1\r\nbad header\r\n\r\n",
                     "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
                     "GET / HTTP/1.1\r\n\r\n", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"] {
            let client = try RawClient(port: server.port)
            client.send(junk)
            let reply = client.readToEnd()
            #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "for \(junk.debugDescription): \(reply)")
            #expect(reply.contains("Connection: close\r\n"))
        }
        #expect(server.requestCount == 0)
    }

    @Test func headArrivingInPiecesIsReassembled() async throws {
        let server = try LoopbackServer { request in .html(request.header("X-Split") ?? "missing") }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        for piece in ["GE", "T /split HT", "TP/1.1\r", "\nHost: 127.0.0.1\r\nX-Sp", "lit: joined\r\n", "Connection: close\r", "\n\r", "\n"] {
            client.send(piece)
            try await Task.sleep(for: .milliseconds(20))
        }
        let reply = client.readToEnd()
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(reply.contains("Connection: close\r\n"))
        #expect(reply.hasSuffix("\r\n\r\njoined"))
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws {
        let server = try LoopbackServer { request in .html(request.path) }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        let reply = client.readToEnd()
        let first = try #require(reply.range(of: "/a"))
        let second = try #require(reply.range(of: "/b"))
        #expect(first.lowerBound < second.lowerBound)
        let log = server.requests
        #expect(log.count == 2 && log[0].connectionID == log[1].connectionID)
    }

    @Test func expectContinueAndChunkedRequestBodies() throws {
        let server = try LoopbackServer { request in .html("got \(request.body.count): \(request.bodyText)") }
        defer { server.stop() }

        let client = try RawClient(port: server.port)
        client.send("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        #expect(client.read(until: "\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n")
        client.send("hello")
        #expect(client.read(until: "got 5: hello").hasPrefix("HTTP/1.1 200 OK\r\n"))

        // Same connection, chunked upload with an extension and a trailer.
        client.send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n")
        #expect(client.readToEnd().hasSuffix("got 7: abcdefg"))
        let log = server.requests
        #expect(log.count == 2 && log[0].connectionID == log[1].connectionID)
    }

    @Test func chunkedUploadArrivingInPiecesIsReassembled() async throws {
        let server = try LoopbackServer { request in .html("got \(request.bodyText)") }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        // Splits fall right after chunk data and inside the CRLF that follows it.
        for piece in ["POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                      "3\r\nabc", "\r\n", "2\r\nde\r", "\n0\r\n", "\r\n"] {
            client.send(piece)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(client.readToEnd().hasSuffix("\r\n\r\ngot abcde"))
    }

    @Test func headOfChunkedResponseHasNoBodyAndKeepsTheConnectionUsable() throws {
        let server = try LoopbackServer { request in
            ServerResponse(body: Data("chunky".utf8), behavior: .chunked)
        }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("HEAD /c HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        let reply = client.readToEnd()
        let parts = reply.components(separatedBy: "HTTP/1.1 200 OK\r\n")
        #expect(parts.count == 3)
        #expect(parts.count == 3 && parts[1].hasSuffix("Transfer-Encoding: chunked\r\n\r\n"))
        #expect(reply.hasSuffix("\r\n\r\n6\r\nchunky\r\n0\r\n\r\n"))
    }

    @Test func headAndHTTP10() throws {
        let server = try LoopbackServer { _ in .html("twelve bytes") }
        defer { server.stop() }

        let head = try RawClient(port: server.port)
        head.send("HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        let headReply = head.readToEnd()
        #expect(headReply.contains("Content-Length: 12\r\n"))
        #expect(headReply.hasSuffix("\r\n\r\n"))

        let old = try RawClient(port: server.port)
        old.send("GET / HTTP/1.0\r\n\r\n")
        let oldReply = old.readToEnd()
        #expect(oldReply.contains("Connection: close\r\n"))
        #expect(oldReply.hasSuffix("twelve bytes"))
    }

    @Test func statusWithoutBodyGetsNoContentLength() throws {
        let server = try LoopbackServer { _ in ServerResponse(status: 204) }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.send("DELETE /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        let reply = client.readToEnd()
        #expect(reply.hasPrefix("HTTP/1.1 204 No Content\r\n"))
        #expect(!reply.contains("Content-Length"))
        #expect(reply.contains("Date: "))
    }
}
