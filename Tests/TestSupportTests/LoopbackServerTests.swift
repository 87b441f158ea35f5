import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

@Suite struct LoopbackServerTests {
    @Test func plainGetReturnsStatusHeadersBodyAndReusesTheConnection() async throws {
        let server = try LoopbackServer { request in
            .json(#"{"path":"\#(request.path)"}"#, status: 201, headers: [("X-Test", "yes")])
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        let (data, response) = try await fetch(session, server.baseURL.appendingPathComponent("one"))
        #expect(response.statusCode == 201)
        #expect(response.value(forHTTPHeaderField: "Content-Type") == "application/json")
        #expect(response.value(forHTTPHeaderField: "X-Test") == "yes")
        #expect(response.value(forHTTPHeaderField: "Content-Length") == String(data.count))
        #expect(String(decoding: data, as: UTF8.self) == #"{"path":"/one"}"#)

        let (second, _) = try await fetch(session, server.baseURL.appendingPathComponent("two"))
        #expect(String(decoding: second, as: UTF8.self) == #"{"path":"/two"}"#)

        let log = server.requests
        #expect(log.map(\.path) == ["/one", "/two"])
        #expect(log.count == 2 && log[0].connectionID == log[1].connectionID)
        #expect(server.requestCount == 2)
    }

    @Test func chunkedBodyArrivesIntact() async throws {
        let body = pattern(count: 100_000)
        let server = try LoopbackServer { _ in
            ServerResponse(headers: [("Content-Type", "application/octet-stream")], body: body, behavior: .chunked)
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        let (data, response) = try await fetch(session, server.baseURL)
        #expect(response.statusCode == 200)
        #expect(response.value(forHTTPHeaderField: "Content-Length") == nil)
        #expect(data == body)
        // A properly terminated chunked body leaves the connection reusable.
        _ = try await fetch(session, server.baseURL)
        let log = server.requests
        #expect(log.count == 2 && log[0].connectionID == log[1].connectionID)
    }

    @Test func trickledBodyArrivesIntact() async throws {
        let body = pattern(count: 50)
        let server = try LoopbackServer { _ in
            .bytes(body, contentType: "application/octet-stream").with(.trickle(chunkSize: 10, interval: 0.05))
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        let start = ContinuousClock.now
        let (data, _) = try await fetch(session, server.baseURL)
        #expect(data == body)
        #expect(seconds(since: start) >= 0.2)
    }

    @Test func redirectToAnotherPathIsFollowed() async throws {
        let server = try LoopbackServer { request in
            request.path == "/old" ? .redirect(to: "/new?from=old") : .html("<p>\(request.target)</p>")
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        let (data, response) = try await fetch(session, server.baseURL.appendingPathComponent("old"))
        #expect(response.statusCode == 200)
        #expect(response.url?.path == "/new")
        #expect(response.value(forHTTPHeaderField: "Content-Type") == "text/html; charset=utf-8")
        #expect(String(decoding: data, as: UTF8.self) == "<p>/new?from=old</p>")
        #expect(server.requests.map(\.target) == ["/old", "/new?from=old"])
    }

    @Test func requestLogRecordsMethodPathQueryHeadersAndBody() async throws {
        let server = try LoopbackServer { _ in .notFound() }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        var get = URLRequest(url: try #require(URL(string: "\(server.baseURL)/3/album/abc?x=1&y=two")))
        get.setValue("Client-ID 0123456789", forHTTPHeaderField: "Authorization")
        let (_, notFound) = try await fetch(session, get)
        #expect(notFound.statusCode == 404)

        var post = URLRequest(url: server.baseURL.appendingPathComponent("upload"))
        post.httpMethod = "POST"
        post.setValue("application/json", forHTTPHeaderField: "Content-Type")
        post.httpBody = Data(#"{"a":1}"#.utf8)
        _ = try await fetch(session, post)

        let album = try #require(server.requests(matching: "/3/album").first)
        #expect(album.method == "GET")
        #expect(album.target == "/3/album/abc?x=1&y=two")
        #expect(album.path == "/3/album/abc")
        #expect(album.query == "x=1&y=two")
        #expect(album.header("authorization") == "Client-ID 0123456789")
        #expect(album.header("Host") == "127.0.0.1:\(server.port)")
        #expect(album.body.isEmpty)

        let upload = try #require(server.requests(matching: "/upload").first)
        #expect(upload.method == "POST")
        #expect(upload.header("Content-Type") == "application/json")
        #expect(upload.bodyText == #"{"a":1}"#)

        #expect(server.requests(matching: "/nothing").isEmpty)
        server.resetLog()
        #expect(server.requestCount == 0)
    }

    @Test func sixtyFourMegabyteBodyDownloadsIntact() async throws {
        let body = pattern(count: 64 * 1024 * 1024)
        let server = try LoopbackServer { _ in .bytes(body, contentType: "image/jpeg") }
        defer { server.stop() }
        let session = makeSession(timeout: 30)
        defer { session.finishTasksAndInvalidate() }

        let start = ContinuousClock.now
        let (data, response) = try await fetch(session, server.baseURL.appendingPathComponent("big.jpg"))
        let elapsed = seconds(since: start)
        #expect(response.statusCode == 200)
        #expect(data.count == body.count)
        #expect(data == body)
        #expect(elapsed < 60, "64 MB took \(elapsed) s")  // "did not hang"; a loaded machine is slow
    }

    @Test func stopReturnsPromptlyDuringStallAndLaterRequestsCannotConnect() async throws {
        let server = try LoopbackServer { _ in
            .bytes(pattern(count: 1000), contentType: "image/png").with(.stallAfter(bytes: 100))
        }
        let session = makeSession(timeout: 30)
        defer { session.finishTasksAndInvalidate() }
        let url = server.baseURL.appendingPathComponent("stall.png")

        let pending = Task { await urlError(session, URLRequest(url: url)) }
        #expect(await waitUntil { server.requestCount == 1 })
        try await Task.sleep(for: .milliseconds(100))

        let start = ContinuousClock.now
        server.stop()
        #expect(seconds(since: start) < 10)  // a stalled response would hold it for an hour
        #expect(server.openConnectionCount == 0)
        server.stop()  // idempotent

        // The server closed mid-body: libcurl's CURLE_PARTIAL_FILE, which arrives as URLError.unknown.
        let cutOff = await pending.value
        #expect(cutOff?.code == .unknown)

        let refused = await urlError(session, URLRequest(url: url))
        #expect(refused?.code == .cannotConnectToHost)
    }

    @Test func deinitStopsTheServer() async throws {
        var server: LoopbackServer? = try LoopbackServer { _ in .html("hi") }
        let port = try #require(server?.port)
        #expect(throws: Never.self) { try RawClient(port: port) }
        server = nil
        #expect(throws: SocketError.self) { try RawClient(port: port) }
    }

    @Test func slowHandlersRunConcurrentlyOnTheirOwnThreads() async throws {
        // Counted rather than timed: under a fully loaded test run wall-clock bounds are noise.
        let running = Locked((now: 0, most: 0))
        let server = try LoopbackServer { _ in
            running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            Thread.sleep(forTimeInterval: 0.5)
            running.withLock { $0.now -= 1 }
            return .html("slow")
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let (data, _) = try await fetch(session, server.baseURL.appendingPathComponent("s\(index)"))
                    #expect(String(decoding: data, as: UTF8.self) == "slow")
                }
            }
            try await group.waitForAll()
        }
        #expect(running.withLock { $0.most } >= 2, "handlers overlapped instead of running one after another")
        #expect(server.requestCount == 4)
    }
}
