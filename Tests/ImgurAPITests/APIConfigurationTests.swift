import Foundation
import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

@Suite struct APIConfigurationTests {
    private func configure(_ base: String) -> Result<APIConfiguration, ImgurAPIError> {
        do throws(ImgurAPIError) {
            return .success(try APIConfiguration(baseURL: base, clientID: "cid"))
        } catch {
            return .failure(error)
        }
    }

    static let accepted: [(String, String)] = [
        ("https://api.imgur.com", "https://api.imgur.com"),
        ("https://api.imgur.com/", "https://api.imgur.com"),
        ("https://api.imgur.com///", "https://api.imgur.com"),
        ("  https://api.imgur.com/  ", "https://api.imgur.com"),
        ("HTTPS://api.imgur.com", "https://api.imgur.com"),
        ("https://proxy.example:8443/imgur/", "https://proxy.example:8443/imgur"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.1.2.3", "http://127.1.2.3"),
        ("http://localhost", "http://localhost"),
        ("http://LOCALHOST:9000/", "http://LOCALHOST:9000"),
        ("http://[::1]", "http://[::1]"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
    ]

    @Test(arguments: accepted)
    func accepts(base: String, expected: String) throws {
        let configuration = try configure(base).get()
        #expect(configuration.baseURL.absoluteString == expected)
        #expect(configuration.clientID == "cid")
    }

    static let plainHTTPReason = "plain http is only allowed to a loopback host; use https"

    static let refused: [(String, String)] = [
        ("http://example.com", plainHTTPReason),
        ("http://api.imgur.com/", plainHTTPReason),
        ("http://10.0.0.1:8080", plainHTTPReason),
        ("http://localhost.evil.example", plainHTTPReason),
        ("http://api.localhost", plainHTTPReason),
        ("http://127.0.0.256", plainHTTPReason),
        ("http://127.0.1", plainHTTPReason),
        ("ftp://api.imgur.com", "scheme must be https"),
        ("file:///tmp/api", "not an absolute URL"),
        ("garbage", "not an absolute URL"),
        ("", "not an absolute URL"),
        ("api.imgur.com", "not an absolute URL"),
        ("https://", "not an absolute URL"),
        ("https://api.imgur.com?x=1", "must not carry a query, fragment or user info"),
        ("https://api.imgur.com/#top", "must not carry a query, fragment or user info"),
        ("https://user:secret@api.imgur.com", "must not carry a query, fragment or user info"),
    ]

    @Test(arguments: refused)
    func refuses(base: String, reason: String) {
        #expect(configure(base) == .failure(.invalidBaseURL(base, reason: reason)))
    }

    /// A DNS name that merely starts with "127." is anyone's host: the client id must not travel to it in
    /// clear text (an earlier `hasPrefix("127.")` check let these through).
    @Test(arguments: ["http://127.evil.example", "http://127.0.0.1.evil.example:8080"])
    func namesThatOnlyStartLikeLoopbackAreRefused(base: String) {
        #expect(configure(base) == .failure(.invalidBaseURL(base, reason: Self.plainHTTPReason)))
    }

    @Test func defaults() throws {
        let configuration = try APIConfiguration(clientID: "abc")
        #expect(configuration.baseURL.absoluteString == APIConfiguration.defaultBaseURL)
        #expect(configuration.idleTimeout == 30)
        #expect(configuration.deadline == 90)
    }

    @Test func urlBuildsVersionedPaths() throws {
        let configuration = try APIConfiguration(clientID: "abc")
        #expect(configuration.url(["album", "q6i58"]).absoluteString == "https://api.imgur.com/3/album/q6i58")
        #expect(configuration.url(["album", "q6i58", "images"]).absoluteString
            == "https://api.imgur.com/3/album/q6i58/images")
        #expect(configuration.url([]).absoluteString == "https://api.imgur.com/3")
    }

    @Test func urlKeepsABasePath() throws {
        let configuration = try APIConfiguration(baseURL: "http://127.0.0.1:8080/prefix/", clientID: "abc")
        #expect(configuration.url(["image", "AbCdEfG"]).absoluteString == "http://127.0.0.1:8080/prefix/3/image/AbCdEfG")
    }

    @Test func urlEscapesSegmentCharacters() throws {
        let configuration = try APIConfiguration(clientID: "abc")
        #expect(configuration.url(["a b", "c?d", "e#f"]).absoluteString == "https://api.imgur.com/3/a%20b/c%3Fd/e%23f")
    }

    @Test func loopbackRule() {
        #expect(APIConfiguration.isLoopback("127.0.0.1"))
        #expect(APIConfiguration.isLoopback("localhost"))
        #expect(APIConfiguration.isLoopback("[::1]"))
        #expect(APIConfiguration.isLoopback("::1"))
        #expect(!APIConfiguration.isLoopback("example.com"))
        #expect(!APIConfiguration.isLoopback("128.0.0.1"))
        #expect(!APIConfiguration.isLoopback("::2"))
        #expect(APIConfiguration.isLoopback("127.255.255.254"))
        #expect(!APIConfiguration.isLoopback("127.evil.example"))
        #expect(!APIConfiguration.isLoopback("127.0.0.1.evil.example"))
        #expect(!APIConfiguration.isLoopback("0127.0.0.1"))
    }

    @Test func errorDescription() {
        let error = ImgurAPIError.invalidBaseURL("ftp://x", reason: "scheme must be https")
        #expect(error.description == "invalid API base URL ftp://x: scheme must be https")
        #expect(!error.isTransient)
    }
}
