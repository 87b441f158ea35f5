import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport

@Suite struct RangeTests {
    static let data = pattern(count: 100)
    static let etag = "\"v1\""

    private func serve(_ headers: [(name: String, value: String)], honourRange: Bool = true) -> ServerResponse {
        let request = ServerRequest(target: "/f.bin", headers: headers)
        return .file(Self.data, contentType: "application/octet-stream", for: request, etag: Self.etag, honourRange: honourRange)
    }

    @Test func noRangeServesEverything() {
        let response = serve([])
        #expect(response.status == 200)
        #expect(response.body == Self.data)
        #expect(response.header("Accept-Ranges") == "bytes")
        #expect(response.header("ETag") == Self.etag)
        #expect(response.header("Content-Range") == nil)
    }

    @Test(arguments: [
        ("bytes=10-", 10, 99),
        ("bytes=10-19", 10, 19),
        ("bytes=90-1000", 90, 99),
        ("bytes=-5", 95, 99),
        ("bytes=-500", 0, 99),
        ("Bytes = 0-0", 0, 0),
    ])
    func satisfiableRanges(header: String, first: Int, last: Int) {
        let response = serve([("Range", header)])
        #expect(response.status == 206)
        #expect(response.header("Content-Range") == "bytes \(first)-\(last)/100")
        #expect(response.body == Self.data.subdata(in: first..<(last + 1)))
    }

    @Test(arguments: ["bytes=100-", "bytes=150-160", "bytes=-0", "bytes=99999999999999999999999-"])
    func unsatisfiableRanges(header: String) {
        let response = serve([("Range", header)])
        #expect(response.status == 416)
        #expect(response.header("Content-Range") == "bytes */100")
        #expect(response.body.isEmpty)
    }

    @Test(arguments: ["items=1-2", "bytes=5", "bytes=a-", "bytes=20-10", "bytes=0-1,5-6", "bytes=+1-"])
    func malformedOrMultiRangesAreIgnored(header: String) {
        let response = serve([("Range", header)])
        #expect(response.status == 200)
        #expect(response.body == Self.data)
    }

    @Test func ifRangeMatchHonoursRangeAndMismatchServesEverything() {
        #expect(serve([("Range", "bytes=10-"), ("If-Range", Self.etag)]).status == 206)
        let stale = serve([("Range", "bytes=10-"), ("If-Range", "\"v0\"")])
        #expect(stale.status == 200)
        #expect(stale.body == Self.data)
        #expect(serve([("Range", "bytes=10-"), ("If-Range", "Wed, 21 Oct 2015 07:28:00 GMT")]).status == 200)
    }

    @Test func honourRangeFalseIgnoresRange() {
        let response = serve([("Range", "bytes=10-")], honourRange: false)
        #expect(response.status == 200)
        #expect(response.body == Self.data)
        #expect(response.header("Accept-Ranges") == "bytes")
    }

    @Test func rangesOverURLSession() async throws {
        let body = pattern(count: 300_000)
        let server = try LoopbackServer { request in
            .file(body, contentType: "video/mp4", for: request, etag: Self.etag, honourRange: request.path != "/plain.mp4")
        }
        defer { server.stop() }
        let session = makeSession()
        defer { session.finishTasksAndInvalidate() }
        let url = server.baseURL.appendingPathComponent("clip.mp4")

        var partial = URLRequest(url: url)
        partial.setValue("bytes=10-", forHTTPHeaderField: "Range")
        let (tail, tailResponse) = try await fetch(session, partial)
        #expect(tailResponse.statusCode == 206)
        #expect(tailResponse.value(forHTTPHeaderField: "Content-Range") == "bytes 10-299999/300000")
        #expect(tailResponse.value(forHTTPHeaderField: "Accept-Ranges") == "bytes")
        #expect(tail == body.subdata(in: 10..<body.count))

        var stale = partial
        stale.setValue("\"other\"", forHTTPHeaderField: "If-Range")
        let (whole, wholeResponse) = try await fetch(session, stale)
        #expect(wholeResponse.statusCode == 200)
        #expect(whole == body)

        var beyond = URLRequest(url: url)
        beyond.setValue("bytes=300000-", forHTTPHeaderField: "Range")
        let (_, beyondResponse) = try await fetch(session, beyond)
        #expect(beyondResponse.statusCode == 416)
        #expect(beyondResponse.value(forHTTPHeaderField: "Content-Range") == "bytes */300000")

        var ignored = URLRequest(url: server.baseURL.appendingPathComponent("plain.mp4"))
        ignored.setValue("bytes=10-", forHTTPHeaderField: "Range")
        let (plain, plainResponse) = try await fetch(session, ignored)
        #expect(plainResponse.statusCode == 200)
        #expect(plain == body)
    }
}
