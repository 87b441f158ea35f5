import Foundation
import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

/// Who the client is to Imgur, and what it does when Imgur refuses: over a closure-backed
/// transport, no sockets.
@Suite struct AuthorizationTests {
    static let configuration = try! APIConfiguration(baseURL: "https://api.imgur.com", clientID: "cid-123")
    static let ok = #"{"data":{"id":"q6i58","images":[]},"success":true,"status":200}"#
    static let rejected = #"{"data":{"error":"The access token provided is invalid.","request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":403}"#

    /// Tokens handed out in turn; every refresh is counted.
    final class Tokens: AccessTokenSource, Sendable {
        let state = Locked((current: "token-1", refreshes: 0, fail: false))

        func accessToken() async throws -> String { state.current.current }

        func refreshedToken(after rejected: String) async throws -> String {
            try state.withLock { state in
                if state.fail { throw ImgurAPIError.forbidden(status: 400, message: "Invalid refresh token") }
                state.refreshes += 1
                state.current = "token-\(state.refreshes + 1)"
                return state.current
            }
        }
    }

    @Test func withoutALoginTheClientIDIsSent() async throws {
        let transport = ClosureTransport { request, _ in ClosureTransport.json(Self.ok, for: request) }
        _ = try await ImgurClient(configuration: Self.configuration, transport: transport).data(["album", "q6i58"], resource: "album")
        #expect(transport.requests.map { $0.headers["Authorization"] } == ["Client-ID cid-123"])
    }

    @Test func aLoginSendsItsBearerTokenAndAnonymousRequestsStillTheClientID() async throws {
        let transport = ClosureTransport { request, _ in ClosureTransport.json(Self.ok, for: request) }
        let client = ImgurClient(configuration: Self.configuration, transport: transport, accessTokens: Tokens())
        _ = try await client.data(["album", "q6i58"], resource: "album")
        _ = try await client.send("GET", ["album", "q6i58"], identity: .anonymous, resource: "album")
        #expect(transport.requests.map { $0.headers["Authorization"] } == ["Bearer token-1", "Client-ID cid-123"])
    }

    @Test(arguments: [401, 403])
    func aRejectedTokenIsRefreshedOnceAndTheRequestSentAgain(status: Int) async throws {
        let tokens = Tokens()
        let transport = ClosureTransport { request, index in
            index == 0
                ? ClosureTransport.json(Self.rejected.replacingOccurrences(of: "403", with: "\(status)"), status: status, for: request)
                : ClosureTransport.json(Self.ok, for: request)
        }
        let client = ImgurClient(configuration: Self.configuration, transport: transport, accessTokens: tokens)
        let data = try await client.data(["album", "q6i58"], resource: "album q6i58")
        #expect(data["id"] == "q6i58")
        #expect(transport.requests.map { $0.headers["Authorization"] } == ["Bearer token-1", "Bearer token-2"])
        #expect(tokens.state.current.refreshes == 1)
    }

    @Test func aTokenRejectedAgainAfterItsRefreshIsAnError() async throws {
        let tokens = Tokens()
        let transport = ClosureTransport { request, _ in ClosureTransport.json(Self.rejected, status: 403, for: request) }
        let client = ImgurClient(configuration: Self.configuration, transport: transport, accessTokens: tokens)
        await #expect(throws: ImgurAPIError.invalidAccessToken(status: 403, message: "The access token provided is invalid.")) {
            _ = try await client.data(["album", "q6i58"], resource: "album q6i58")
        }
        #expect(transport.requests.count == 2, "one refresh, one more try, no more")
        #expect(tokens.state.current.refreshes == 1)
    }

    @Test func aRefreshThatFailsIsTheError() async throws {
        let tokens = Tokens()
        tokens.state.withLock { $0.fail = true }
        let transport = ClosureTransport { request, _ in ClosureTransport.json(Self.rejected, status: 403, for: request) }
        let client = ImgurClient(configuration: Self.configuration, transport: transport, accessTokens: tokens)
        await #expect(throws: ImgurAPIError.forbidden(status: 400, message: "Invalid refresh token")) {
            _ = try await client.data(["album", "q6i58"], resource: "album q6i58")
        }
        #expect(transport.requests.count == 1)
    }

    @Test func aPostThatMayHaveReachedImgurIsNotSentTwice() async throws {
        let transport = ClosureTransport { request, _ in
            throw HTTPError.timedOut(url: request.url.absoluteString, seconds: 120, idle: true)
        }
        let client = ImgurClient(
            configuration: Self.configuration, transport: transport, retrier: Retrier(policy: .immediate))
        await #expect(throws: HTTPError.timedOut(url: "https://api.imgur.com/3/image", seconds: 120, idle: true)) {
            _ = try await client.send("POST", ["image"], body: .json(Data("{}".utf8)), resource: "upload")
        }
        #expect(transport.requests.count == 1)
        // A GET that times out is simply tried again.
        await #expect(throws: HTTPError.self) { _ = try await client.data(["image", "AbCdEfG"], resource: "image") }
        #expect(transport.requests.count == 1 + 5)
    }

    @Test func aPostRefusedBeforeImgurActedIsSentAgain() async throws {
        let transport = ClosureTransport { request, index in
            if index == 0 { throw HTTPError.connectionFailed(url: request.url.absoluteString, code: -1004, reason: "refused") }
            if index == 1 {
                return ClosureTransport.json(
                    #"{"data":{"error":"Imgur is temporarily over capacity. Please try again later."},"success":false,"status":403}"#,
                    status: 403, for: request)
            }
            return ClosureTransport.json(#"{"data":{"id":"AbCdEfG"},"success":true,"status":200}"#, for: request)
        }
        let client = ImgurClient(configuration: Self.configuration, transport: transport, retrier: Retrier(policy: .immediate))
        let data = try await client.send("POST", ["image"], body: .json(Data("{}".utf8)), resource: "upload")
        #expect(data["id"] == "AbCdEfG")
        #expect(transport.requests.count == 3)
        #expect(transport.requests.allSatisfy { !$0.isIdempotent && $0.method == "POST" })
    }

    @Test func postRateLimitHeadersReachTheBudget() async throws {
        let limits = Locked<[RateLimitStatus]>([])
        let transport = ClosureTransport { request, _ in
            ClosureTransport.json(
                #"{"data":{"id":"AbCdEfG"},"success":true,"status":200}"#,
                headers: ["X-Post-Rate-Limit-Limit": "1250", "X-Post-Rate-Limit-Remaining": "1206",
                          "X-Post-Rate-Limit-Reset": "3600", "X-RateLimit-UserRemaining": "490"],
                for: request)
        }
        let client = ImgurClient(configuration: Self.configuration, transport: transport) { status in
            limits.withLock { $0.append(status) }
        }
        let before = Date()
        _ = try await client.send("POST", ["image"], body: .form([("title", "a b&c")]), resource: "upload")
        let status = try #require(limits.current.first)
        #expect(status.postLimit == 1250)
        #expect(status.postRemaining == 1206)
        let reset = try #require(status.postReset)
        #expect(reset.timeIntervalSince(before) >= 3599 && reset.timeIntervalSince(before) < 3700, "seconds from now")
        #expect(transport.requests.first?.body == .bytes(Data("title=a%20b%26c".utf8), contentType: "application/x-www-form-urlencoded"))
    }

    @Test func theTokenEndpointIsOutsideTheVersionedAPI() async throws {
        let transport = ClosureTransport { request, _ in
            ClosureTransport.json(#"{"access_token":"a","refresh_token":"r","expires_in":3600,"token_type":"bearer"}"#, for: request)
        }
        let client = ImgurClient(configuration: Self.configuration, transport: transport, accessTokens: Tokens())
        let answer = try await client.oauthToken([("grant_type", "refresh_token"), ("refresh_token", "r")])
        #expect(answer["access_token"] == "a")
        #expect(transport.requests.first?.url.absoluteString == "https://api.imgur.com/oauth2/token")
        #expect(transport.requests.first?.headers["Authorization"] == "Client-ID cid-123", "never a bearer token")
    }
}
