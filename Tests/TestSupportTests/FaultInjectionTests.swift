import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

// The URLError codes asserted here are what swift-corelibs-foundation maps libcurl's results to;
// the archiver's retry logic has to recognise each of them.
@Suite struct FaultInjectionTests {
    static let body = pattern(count: 200_000)

    // Serves `behavior` on /fault and a healthy body elsewhere; returns the URLError /fault fails with.
    private func failure(for behavior: ServerResponse.Behavior, timeout: TimeInterval = 10) async throws -> (URLError?, LoopbackServer) {
        let server = try LoopbackServer { request in
            let response = ServerResponse.bytes(Self.body, contentType: "image/jpeg")
            return request.path == "/fault" ? response.with(behavior) : response
        }
        let session = makeSession(timeout: timeout)
        defer { session.finishTasksAndInvalidate() }
        let error = await urlError(session, URLRequest(url: server.baseURL.appendingPathComponent("fault")))
        return (error, server)
    }

    @Test func dropAfterWithResetFailsAsConnectionLost() async throws {
        // libcurl: CURLE_RECV_ERROR "Recv failure: Connection reset by peer".
        let (error, server) = try await failure(for: .dropAfter(bytes: 1000, reset: true))
        defer { server.stop() }
        #expect(error?.code == .networkConnectionLost)
    }

    @Test func dropAfterWithPlainCloseFailsAsUnknown() async throws {
        // libcurl: CURLE_PARTIAL_FILE "transfer closed with 199000 bytes remaining to read", which
        // corelibs Foundation has no mapping for, so it arrives as URLError.unknown (-1).
        let (error, server) = try await failure(for: .dropAfter(bytes: 1000, reset: false))
        defer { server.stop() }
        #expect(error?.code == .unknown)
        #expect(error?.localizedDescription.contains("bytes remaining") == true)
    }

    @Test func shortBodyFailsAsUnknown() async throws {
        let (error, server) = try await failure(for: .shortBody(bytes: 1000))
        defer { server.stop() }
        #expect(error?.code == .unknown)
        #expect(error?.localizedDescription.contains("bytes remaining") == true)
    }

    @Test func closeWithoutResponseFailsAsBadServerResponse() async throws {
        // libcurl: CURLE_GOT_NOTHING "Empty reply from server".
        let (error, server) = try await failure(for: .closeWithoutResponse)
        defer { server.stop() }
        #expect(error?.code == .badServerResponse)
        #expect(server.requestCount == 1)
    }

    @Test func closeWithoutResponseOnReusedConnectionIsRetriedOnceByLibcurl() async throws {
        let server = try LoopbackServer { request in
            request.path == "/fault" ? ServerResponse.html("x").with(.closeWithoutResponse) : .html("ok")
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        _ = try await fetch(session, server.baseURL.appendingPathComponent("warm"))
        let error = await urlError(session, URLRequest(url: server.baseURL.appendingPathComponent("fault")))
        #expect(error?.code == .badServerResponse)
        // A reused connection that dies before any response byte looks like a stale keep-alive connection,
        // so libcurl silently resends on a fresh one: the handler sees the request twice.
        let log = server.requests
        #expect(log.map(\.path) == ["/warm", "/fault", "/fault"])
        #expect(log.count == 3 && log[1].connectionID == log[0].connectionID && log[2].connectionID != log[1].connectionID)
    }

    @Test func stallAfterTimesOut() async throws {
        let start = ContinuousClock.now
        let (error, server) = try await failure(for: .stallAfter(bytes: 1000), timeout: 1)
        defer { server.stop() }
        let elapsed = seconds(since: start)
        #expect(error?.code == .timedOut)
        // A bound that proves "times out, does not hang"; a loaded machine stretches the 1 s.
        #expect(elapsed < 120, "timed out after \(elapsed) s")
        // The stalled connection thread notices the client going away and ends on its own.
        #expect(await waitUntil { server.openConnectionCount == 0 })
    }

    @Test func requestTimeoutIsAnIdleTimeoutNotATotalOne() async throws {
        // 5 bytes, one every 0.3 s: longer than the 1 s timeout in total, but never idle for 1 s.
        let server = try LoopbackServer { _ in .html("abcde").with(.trickle(chunkSize: 1, interval: 0.3)) }
        defer { server.stop() }
        let session = makeSession(timeout: 1)
        defer { session.finishTasksAndInvalidate() }

        let start = ContinuousClock.now
        let (data, _) = try await fetch(session, server.baseURL)
        #expect(String(decoding: data, as: UTF8.self) == "abcde")
        #expect(seconds(since: start) > 1)
    }

    @Test func faultOnReusedConnectionStillFailsAndTheNextRequestRecovers() async throws {
        let server = try LoopbackServer { request in
            let response = ServerResponse.bytes(Self.body, contentType: "image/jpeg")
            return request.path == "/fault" ? response.with(.dropAfter(bytes: 10, reset: true)) : response
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }

        _ = try await fetch(session, server.baseURL.appendingPathComponent("warm"))
        let error = await urlError(session, URLRequest(url: server.baseURL.appendingPathComponent("fault")))
        #expect(error?.code == .networkConnectionLost)
        let (data, _) = try await fetch(session, server.baseURL.appendingPathComponent("after"))
        #expect(data == Self.body)
        let log = server.requests
        #expect(log.map(\.path) == ["/warm", "/fault", "/after"])
        #expect(log.count == 3 && log[0].connectionID == log[1].connectionID)
        #expect(log.count == 3 && log[2].connectionID != log[1].connectionID)
    }
}
