import Foundation
import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

@Suite struct ImgurAPIErrorTests {
    static let url = "https://api.imgur.com/3/album/q6i58"

    static let table: [(ImgurAPIError, transient: Bool, text: String)] = [
        (.invalidBaseURL("ftp://x", reason: "scheme must be https"), false,
         "invalid API base URL ftp://x: scheme must be https"),
        (.notFound(resource: "album q6i58", message: "Unable to find"), false, "album q6i58 not found on Imgur (HTTP 404)"),
        (.invalidClientID(message: "Invalid client_id"), false,
         "Imgur refused the client id (HTTP 403: Invalid client_id); check IMGUR_CLIENT_ID or api_secrets.json"),
        (.invalidClientID(message: nil), false,
         "Imgur refused the client id (HTTP 403); check IMGUR_CLIENT_ID or api_secrets.json"),
        (.forbidden(status: 401, message: "Authentication required"), false,
         "Imgur refused access (HTTP 401: Authentication required)"),
        (.forbidden(status: 403, message: ""), false, "Imgur refused access (HTTP 403)"),
        (.rateLimited(message: "Too Many Requests", retryAfter: 42, resetAt: Date(timeIntervalSince1970: 1_700_000_000)),
         true, "rate limited by Imgur (HTTP 429: Too Many Requests), retry after 42s, limit resets at 2023-11-14T22:13:20Z"),
        (.rateLimited(message: nil, retryAfter: 1.5, resetAt: nil), true, "rate limited by Imgur (HTTP 429), retry after 1.5s"),
        (.overCapacity(status: 403, message: "Imgur is temporarily over capacity. Please try again later.", retryAfter: nil), true,
         "Imgur is over capacity (HTTP 403: Imgur is temporarily over capacity. Please try again later.)"),
        (.serverError(status: 503, message: "503 client read error", retryAfter: 5), true,
         "Imgur server error (HTTP 503: 503 client read error)"),
        (.unexpectedStatus(status: 418, message: nil), false, "unexpected answer from Imgur (HTTP 418)"),
        (.notJSON(status: 200, contentType: "text/html", snippet: "Imgur"), false,
         "expected JSON from Imgur but got text/html (HTTP 200): Imgur"),
        (.notJSON(status: 502, contentType: nil, snippet: "(empty body)"), true,
         "expected JSON from Imgur but got no content type (HTTP 502): (empty body)"),
        (.malformedResponse("album without an id"), false, "malformed answer from Imgur: album without an id"),
    ]

    @Test(arguments: table)
    func describesAndClassifies(error: ImgurAPIError, transient: Bool, text: String) {
        #expect(error.isTransient == transient)
        #expect(error.description == text)
        #expect("\(error)" == text)
    }

    @Test func retryAfterIsWhatTheServerAsked() {
        #expect(ImgurAPIError.serverError(status: 500, message: nil, retryAfter: 9).retryAfter == 9)
        #expect(ImgurAPIError.overCapacity(status: 403, message: nil, retryAfter: 600).retryAfter == 600)
        #expect(ImgurAPIError.rateLimited(message: nil, retryAfter: 3, resetAt: Date.distantFuture).retryAfter == 3)
        #expect(ImgurAPIError.rateLimited(message: nil, retryAfter: nil, resetAt: nil).retryAfter == nil)
        #expect(ImgurAPIError.notFound(resource: "x", message: nil).retryAfter == nil)
    }
}

@Suite struct HTTPTypesTests {
    private func head(_ headers: [String: String]) -> HTTPResponseHead {
        HTTPResponseHead(status: 200, url: testURL("https://i.imgur.com/AbCdEfG.jpg"), headers: HTTPHeaders(headers))
    }

    @Test(arguments: [
        ("1234", 1234), (" 42 ", 42), ("0", 0), ("-1", nil), ("12abc", nil), ("", nil), ("9223372036854775807", Int64.max),
        ("99999999999999999999", nil),
    ] as [(String, Int64?)])
    func contentLength(value: String, expected: Int64?) {
        #expect(head(["Content-Length": value]).contentLength == expected)
    }

    @Test func missingHeaders() {
        let bare = head([:])
        #expect(bare.contentLength == nil)
        #expect(bare.contentType == nil)
        #expect(bare.redirects.isEmpty)
        #expect(head(["content-type": "image/png"]).contentType == "image/png")
    }

    @Test func requestDefaults() {
        let request = HTTPRequest(url: testURL("https://i.imgur.com/AbCdEfG.jpg"))
        #expect(request.method == "GET")
        #expect(request.headers.isEmpty)
        #expect(request.idleTimeout == 30)
        #expect(request.deadline == 120)
        #expect(request.maxRedirects == 5)
        #expect(request.stopRedirectsToPathSuffixes.isEmpty)
    }
}
