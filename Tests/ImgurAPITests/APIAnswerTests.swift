import Foundation
import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

/// Status first, then the body: every answer shape of docs/imgur-api.md §6.
@Suite struct APIAnswerTests {
    static let url = testURL("https://api.imgur.com/3/album/q6i58")
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let resource = "album q6i58"

    private func response(
        _ status: Int, _ body: String, contentType: String? = "application/json", headers: [String: String] = [:]
    ) -> HTTPResponse {
        var fields = headers
        if let contentType { fields["Content-Type"] = contentType }
        return HTTPResponse(
            head: HTTPResponseHead(status: status, url: Self.url, headers: HTTPHeaders(fields)), body: Data(body.utf8))
    }

    private func answer(_ response: HTTPResponse) -> Result<JSONValue, ImgurAPIError> {
        do throws(ImgurAPIError) {
            return .success(try APIAnswer.data(of: response, resource: Self.resource, now: Self.now))
        } catch {
            return .failure(error)
        }
    }

    private func error(_ response: HTTPResponse) throws -> ImgurAPIError {
        guard case .failure(let error) = answer(response) else {
            Issue.record("expected an error, got \(answer(response))")
            throw Unexpected()
        }
        return error
    }

    struct Unexpected: Error {}

    // MARK: Successful answers

    @Test func envelopeDataFirstEscapedSlashes() throws {
        let body = #"{"data":{"id":"q6i58","link":"https:\/\/imgur.com\/a\/q6i58","images":[]},"success":true,"status":200}"#
        let data = try answer(response(200, body)).get()
        #expect(data == ["id": "q6i58", "link": "https://imgur.com/a/q6i58", "images": []])
    }

    @Test func envelopeStatusFirstPlainSlashes() throws {
        let body = #"{"status":200,"success":true,"data":{"id":"q6i58","link":"https://imgur.com/a/q6i58","images":[]}}"#
        let data = try answer(response(200, body)).get()
        #expect(data == ["id": "q6i58", "link": "https://imgur.com/a/q6i58", "images": []])
    }

    @Test func envelopeWithListAndLeadingWhitespace() throws {
        let body = " \r\n\t{\"data\":[1,2],\"success\":true,\"status\":200}"
        #expect(try answer(response(200, body)).get() == [1, 2])
    }

    @Test func envelopeWithNullData() throws {
        #expect(try answer(response(200, #"{"data":null,"success":true,"status":200}"#)).get() == .null)
    }

    @Test func postV1AnswerWithoutEnvelopeIsReturnedWhole() throws {
        let body = #"{"id":"q6i58","account_id":0,"title":"t","description":"","media":[{"id":"AbCdEfG","ext":"jpeg"}]}"#
        let data = try answer(response(200, body, contentType: "application/vnd.imgur.v1+json")).get()
        #expect(data["id"] == "q6i58")
        #expect(data["media"]?.arrayValue?.count == 1)
        #expect(data == (try JSONValue.parse(Data(body.utf8))))
    }

    @Test func dataKeyWithoutSuccessOrStatusIsNotAnEnvelope() throws {
        let body = #"{"data":[{"id":"q6i58"}]}"#
        #expect(try answer(response(200, body)).get() == ["data": [["id": "q6i58"]]])
    }

    // MARK: Failures inside a 200

    @Test func successFalseInside200UsesTheInnerStatus() throws {
        let body = #"{"data":{"error":"Invalid client_id","request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":403}"#
        #expect(try error(response(200, body)) == .invalidClientID(message: "Invalid client_id"))
    }

    @Test func successFalseWithStatus200BecomesA400() throws {
        let body = #"{"data":{"error":"Something odd"},"success":false,"status":200}"#
        #expect(try error(response(200, body)) == .unexpectedStatus(status: 400, message: "Something odd"))
    }

    @Test func successFalseWithoutStatusBecomesA400() throws {
        let body = #"{"data":{"error":"Nope"},"success":false}"#
        #expect(try error(response(200, body)) == .unexpectedStatus(status: 400, message: "Nope"))
    }

    @Test func successFalseWithBareFalseData() throws {
        #expect(try error(response(200, #"{"data":false,"success":false,"status":400}"#))
            == .unexpectedStatus(status: 400, message: nil))
    }

    @Test func successFalseWithBareStringData() throws {
        let body = #"{"data":"An error occurred","success":false,"status":500}"#
        let failure = try error(response(200, body))
        #expect(failure == .serverError(status: 500, message: "An error occurred", retryAfter: nil))
        #expect(failure.isTransient)
    }

    // MARK: 404

    @Test func notFoundV3Body() throws {
        let body = #"{"data":{"error":"Unable to find an album with the id, q6i58","request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":404}"#
        let failure = try error(response(404, body))
        #expect(failure == .notFound(resource: Self.resource, message: "Unable to find an album with the id, q6i58"))
        #expect(!failure.isTransient)
        #expect(failure.retryAfter == nil)
        #expect(failure.description == "album q6i58 not found on Imgur (HTTP 404)")
    }

    @Test func notFoundHTMLPage() throws {
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <TITLE>
               Imgur: The magic of the Internet
            </title></head><body><h1>404</h1></body></html>
            """
        let failure = try error(response(404, html, contentType: "text/html; charset=utf-8"))
        #expect(failure == .notFound(resource: Self.resource, message: "Imgur: The magic of the Internet"))
        #expect(!failure.isTransient)
    }

    @Test func notFoundWithEmptyBody() throws {
        #expect(try error(response(404, "", contentType: nil)) == .notFound(resource: Self.resource, message: nil))
    }

    @Test func notFoundJSONAPI() throws {
        let body = #"{"errors":[{"id":"legacy-api-abc","code":"404","status":"Not Found","detail":"Not Found"}]}"#
        #expect(try error(response(404, body, contentType: "application/vnd.imgur.v1+json"))
            == .notFound(resource: Self.resource, message: "Not Found"))
    }

    // MARK: 401 and 403

    @Test func invalidClientID() throws {
        let body = #"{"data":{"error":"Invalid client_id","request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":403}"#
        let failure = try error(response(403, body))
        #expect(failure == .invalidClientID(message: "Invalid client_id"))
        #expect(!failure.isTransient)
    }

    @Test func malformedAuthHeader() throws {
        let body = #"{"data":{"error":"Malformed auth header","request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":403}"#
        #expect(try error(response(403, body)) == .invalidClientID(message: "Malformed auth header"))
    }

    @Test func overCapacity() throws {
        let message = "Imgur is temporarily over capacity. Please try again later."
        let body = #"{"data":{"error":"\#(message)"},"success":false,"status":403}"#
        let failure = try error(response(403, body))
        #expect(failure == .overCapacity(status: 403, message: message, retryAfter: nil))
        #expect(failure.isTransient)
    }

    @Test func overCapacityHonoursRetryAfter() throws {
        let body = #"{"data":{"error":"Imgur is temporarily over capacity. Please try again later."},"success":false,"status":403}"#
        let failure = try error(response(403, body, headers: ["Retry-After": "600"]))
        #expect(failure == .overCapacity(
            status: 403, message: "Imgur is temporarily over capacity. Please try again later.", retryAfter: 600))
        #expect(failure.retryAfter == 600)
    }

    @Test func aRejectedAccessToken() throws {
        let body = #"{"data":{"error":"The access token provided is invalid.","request":"\/3\/account\/me","method":"GET"},"success":false,"status":403}"#
        let failure = try error(response(403, body))
        #expect(failure == .invalidAccessToken(status: 403, message: "The access token provided is invalid."))
        #expect(!failure.isTransient)
    }

    @Test func otherForbidden() throws {
        let body = #"{"data":{"error":"Permission denied","request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":403}"#
        let failure = try error(response(403, body))
        #expect(failure == .forbidden(status: 403, message: "Permission denied"))
        #expect(!failure.isTransient)
    }

    @Test func unauthorized() throws {
        let body = #"{"data":{"error":"Authentication required","request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":401}"#
        let failure = try error(response(401, body))
        #expect(failure == .forbidden(status: 401, message: "Authentication required"))
        #expect(!failure.isTransient)
    }

    // MARK: 429

    @Test func rateLimitedOldV3BodyUsesUserReset() throws {
        let body = #"{"data":{"error":"User request limit exceeded","request":"\/3\/account\/someone","method":"GET"},"success":false,"status":429}"#
        let headers = [
            "X-RateLimit-UserLimit": "500", "X-RateLimit-UserRemaining": "0", "X-RateLimit-UserReset": "1700000300",
            "X-RateLimit-ClientLimit": "12500", "X-RateLimit-ClientRemaining": "9000",
        ]
        let failure = try error(response(429, body, headers: headers))
        #expect(failure == .rateLimited(
            message: "User request limit exceeded", retryAfter: nil,
            resetAt: Date(timeIntervalSince1970: 1_700_000_300)))
        #expect(failure.isTransient)
    }

    @Test func rateLimitedByClientUsesClientReset() throws {
        let headers = [
            "x-ratelimit-userremaining": "100", "x-ratelimit-userreset": "1700000300",
            "x-ratelimit-clientremaining": "0", "x-ratelimit-clientreset": "86400",
        ]
        let failure = try error(response(429, #"{"data":{"error":"Too many"},"success":false,"status":429}"#,
                                         headers: headers))
        #expect(failure == .rateLimited(
            message: "Too many", retryAfter: nil, resetAt: Self.now.addingTimeInterval(86_400)))
    }

    @Test func rateLimitedJSONAPIBody() throws {
        let body = #"{"errors":[{"id":"legacy-api-5f8c7d7b9-abcde","code":"429","status":"Too Many Requests","detail":"Too Many Requests"}]}"#
        let failure = try error(response(429, body, contentType: "application/vnd.imgur.v1+json"))
        #expect(failure == .rateLimited(message: "Too Many Requests", retryAfter: nil, resetAt: nil))
        #expect(failure.isTransient)
        #expect(failure.retryAfter == nil)
    }

    @Test func rateLimitedJSONAPIWithoutDetailFallsBackToTitleThenStatus() throws {
        let titled = #"{"errors":[{"code":"429","title":"Slow down","status":"Too Many Requests"}]}"#
        #expect(try error(response(429, titled)) == .rateLimited(message: "Slow down", retryAfter: nil, resetAt: nil))
        let bare = #"{"errors":[{"code":"429","status":"Too Many Requests"}]}"#
        #expect(try error(response(429, bare))
            == .rateLimited(message: "Too Many Requests", retryAfter: nil, resetAt: nil))
    }

    @Test func rateLimitedWithRetryAfterSeconds() throws {
        let failure = try error(response(429, "{}", headers: ["Retry-After": "42"]))
        #expect(failure == .rateLimited(message: nil, retryAfter: 42, resetAt: nil))
        #expect(failure.retryAfter == 42)
    }

    @Test func rateLimitedWithRetryAfterHTTPDate() throws {
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        let failure = try error(response(429, "{}", headers: ["Retry-After": "Tue, 14 Nov 2023 22:15:00 GMT"]))
        #expect(failure == .rateLimited(message: nil, retryAfter: 100, resetAt: nil))
    }

    @Test func rateLimitedRetryAfterFallsBackToReset() {
        let future = Date().addingTimeInterval(60)
        let failure = ImgurAPIError.rateLimited(message: nil, retryAfter: nil, resetAt: future)
        let wait = failure.retryAfter ?? -1
        #expect(wait > 55 && wait <= 60)
        let past = ImgurAPIError.rateLimited(message: nil, retryAfter: nil, resetAt: Date(timeIntervalSince1970: 0))
        #expect(past.retryAfter == 0)
    }

    // MARK: 5xx and non-JSON

    @Test func errorAsObject() throws {
        let body = #"{"data":{"error":{"code":500,"message":"Could not complete request","type":"ImgurException","exception":{}},"request":"\/3\/album\/q6i58","method":"GET"},"success":false,"status":500}"#
        let failure = try error(response(500, body))
        #expect(failure == .serverError(status: 500, message: "Could not complete request", retryAfter: nil))
        #expect(failure.isTransient)
    }

    @Test func bareStringDataWith500() throws {
        #expect(try error(response(500, #"{"data":"An error occurred","success":false,"status":500}"#))
            == .serverError(status: 500, message: "An error occurred", retryAfter: nil))
    }

    @Test func bareFalseDataWith400() throws {
        let failure = try error(response(400, #"{"data":false,"success":false,"status":400}"#))
        #expect(failure == .unexpectedStatus(status: 400, message: nil))
        #expect(!failure.isTransient)
    }

    static let varnish = """
        <?xml version="1.0" encoding="utf-8"?>
        <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
        <html>
          <head>
            <title>503 client read error</title>
          </head>
          <body>
            <h1>Error 503 client read error</h1>
            <p>client read error</p>
            <h3>Guru Mediation:</h3>
            <p>Details: cache-fra-etou8220083-FRA 1700000000 123456789</p>
            <hr>
            <p>Varnish cache server</p>
          </body>
        </html>
        """

    @Test func varnishHTML503() throws {
        let failure = try error(response(503, Self.varnish, contentType: "text/html; charset=utf-8"))
        #expect(failure == .serverError(status: 503, message: "503 client read error", retryAfter: nil))
        #expect(failure.isTransient)
    }

    @Test func varnishHTML503WithRetryAfter() throws {
        let failure = try error(response(503, Self.varnish, contentType: "text/html", headers: ["retry-after": "5"]))
        #expect(failure == .serverError(status: 503, message: "503 client read error", retryAfter: 5))
        #expect(failure.retryAfter == 5)
    }

    @Test func truncatedJSONWith502() throws {
        #expect(try error(response(502, #"{"data":{"error":"#)) == .serverError(status: 502, message: nil, retryAfter: nil))
    }

    @Test func htmlBodyWith200IsNotJSONAndNotTransient() throws {
        let html = "<html><head><title>Imgur</title></head><body>Sign in</body></html>"
        let failure = try error(response(200, html, contentType: "text/html; charset=utf-8"))
        #expect(failure == .notJSON(status: 200, contentType: "text/html; charset=utf-8", snippet: "Imgur"))
        #expect(!failure.isTransient)
    }

    @Test func plainTextBodyWith200SnippetIsCollapsed() throws {
        let failure = try error(response(200, "  upstream\n\n  said\tno\u{7}  ", contentType: "text/plain"))
        #expect(failure == .notJSON(status: 200, contentType: "text/plain", snippet: "upstream said no"))
    }

    @Test func emptyBodyWith200() throws {
        #expect(try error(response(200, "", contentType: nil))
            == .notJSON(status: 200, contentType: nil, snippet: "(empty body)"))
    }

    @Test func invalidJSONWith200() throws {
        #expect(try error(response(200, "{\"data\":", contentType: "application/json"))
            == .notJSON(status: 200, contentType: "application/json", snippet: "{\"data\":"))
    }

    @Test func notJSONTransienceFollowsTheStatus() {
        #expect(ImgurAPIError.notJSON(status: 503, contentType: "text/html", snippet: "").isTransient)
        #expect(ImgurAPIError.notJSON(status: 429, contentType: "text/html", snippet: "").isTransient)
        #expect(!ImgurAPIError.notJSON(status: 200, contentType: "text/html", snippet: "").isTransient)
        #expect(!ImgurAPIError.notJSON(status: 404, contentType: "text/html", snippet: "").isTransient)
    }

    @Test func otherStatuses() throws {
        #expect(try error(response(302, "", contentType: nil)) == .unexpectedStatus(status: 302, message: nil))
        #expect(try error(response(418, #"{"error":"teapot"}"#)) == .unexpectedStatus(status: 418, message: "teapot"))
        #expect(try error(response(400, #"{"message":"bad"}"#)) == .unexpectedStatus(status: 400, message: "bad"))
    }

    @Test func serverErrorRetryAfterHTTPDateInThePastIsZero() throws {
        let failure = try error(response(500, "{}", headers: ["Retry-After": "Mon, 13 Nov 2023 00:00:00 GMT"]))
        #expect(failure == .serverError(status: 500, message: nil, retryAfter: 0))
    }

    @Test func snippetIsBounded() {
        let long = String(repeating: "word ", count: 100)
        let snippet = APIAnswer.snippet(Data(long.utf8))
        #expect(snippet.count == 120)
        #expect(snippet.hasPrefix("word word"))
        #expect(APIAnswer.snippet(Data()) == "(empty body)")
    }
}
