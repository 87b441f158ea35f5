import Foundation
import Testing

@testable import HTTPCore

@Suite struct HTTPErrorTests {
    static let url = "https://api.imgur.com/3/album/q6i58"

    static let table: [(HTTPError, transient: Bool, text: String)] = [
        (.connectionFailed(url: url, code: -1005, reason: "The network connection was lost."), true,
         "connection to api.imgur.com failed: The network connection was lost."),
        (.connectionFailed(url: url, code: -1202, reason: "SSL certificate problem: unable to get local issuer certificate"),
         false, "connection to api.imgur.com failed: SSL certificate problem: unable to get local issuer certificate"),
        (.timedOut(url: url, seconds: 30, idle: true), true, "no data from api.imgur.com for 30s"),
        (.timedOut(url: url, seconds: 0.5, idle: false), true, "request to api.imgur.com took longer than 0.5s"),
        (.timedOut(url: url, seconds: 90.4, idle: false), true, "request to api.imgur.com took longer than 90s"),
        (.tooManyRedirects(url: url, limit: 3), false, "more than 3 redirects from \(url)"),
        (.bodyTooLarge(url: url, limit: 1024), false, "answer from \(url) is larger than 1024 bytes"),
        (.incompleteBody(url: url, expected: 200, received: 100), true,
         "transfer of \(url) ended after 100 of 200 bytes"),
    ]

    @Test(arguments: table)
    func describesAndClassifies(error: HTTPError, transient: Bool, text: String) {
        #expect(error.isTransient == transient)
        #expect(error.description == text)
        #expect(error.retryAfter == nil)
    }

    @Test func onlyAConnectionNeverMadeProvesARequestWasNotProcessed() {
        #expect(HTTPError.connectionFailed(url: Self.url, code: -1004, reason: "refused").provesRequestNotProcessed)
        #expect(HTTPError.connectionFailed(url: Self.url, code: -1003, reason: "no host").provesRequestNotProcessed)
        #expect(!HTTPError.connectionFailed(url: Self.url, code: -1005, reason: "lost").provesRequestNotProcessed)
        #expect(!HTTPError.timedOut(url: Self.url, seconds: 30, idle: true).provesRequestNotProcessed)
        #expect(!HTTPError.incompleteBody(url: Self.url, expected: 2, received: 1).provesRequestNotProcessed)
    }
}
