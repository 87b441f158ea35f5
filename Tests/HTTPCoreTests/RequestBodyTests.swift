import Foundation
import TestSupport
import Testing

@testable import HTTPCore

/// Request bodies: small ones from memory, files streamed from disk with their length, and
/// multipart forms written to a file first.
@Suite(.timeLimit(.minutes(1)))
struct RequestBodyTests {
    static func echo() throws -> LoopbackServer {
        try LoopbackServer { request in
            .json(
                #"{"method":"\#(request.method)","length":"\#(request.header("Content-Length") ?? "")","chunked":"\#(request.header("Transfer-Encoding") ?? "")","type":"\#(request.header("Content-Type") ?? "")","bytes":\#(request.body.count)}"#)
        }
    }

    @Test func aFileIsSentWithItsLengthNotChunked() async throws {
        let server = try Self.echo()
        defer { server.stop() }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let payload = distinctBytes(3_000_017, seed: 3)
        try payload.write(to: URL(fileURLWithPath: "\(directory)/body"))
        let request = HTTPRequest(
            url: testURL(server.baseURL.absoluteString + "/upload"), method: "POST",
            body: .file(path: "\(directory)/body", contentType: "application/octet-stream"))
        let response = try await URLSessionTransport().fetch(request)
        let answer = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        #expect(answer?["method"] as? String == "POST")
        #expect(answer?["length"] as? String == "3000017")
        #expect(answer?["chunked"] as? String == "")
        #expect(answer?["type"] as? String == "application/octet-stream")
        #expect(server.requests.last?.body == payload)
    }

    @Test func bytesAreSentWithTheirContentType() async throws {
        let server = try Self.echo()
        defer { server.stop() }
        let request = HTTPRequest(
            url: testURL(server.baseURL.absoluteString + "/3/album"), method: "POST",
            body: .json(Data(#"{"deletehashes":["a","b"]}"#.utf8)))
        _ = try await URLSessionTransport().fetch(request)
        let sent = try #require(server.requests.last)
        #expect(sent.header("Content-Type") == "application/json")
        #expect(sent.bodyText == #"{"deletehashes":["a","b"]}"#)
        #expect(!request.isIdempotent)
    }

    @Test func aMultipartFormCarriesItsFieldsAndTheFileByteForByte() async throws {
        let server = try Self.echo()
        defer { server.stop() }
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let media = distinctBytes(2_500_000, seed: 9)
        try media.write(to: URL(fileURLWithPath: "\(directory)/clip.mp4"))
        let body = try MultipartForm.write(
            [
                .field(name: "type", value: "file"), .field(name: "title", value: "Ünïcode \"quoted\""),
                .file(name: "video", path: "\(directory)/clip.mp4", fileName: "clip.mp4", contentType: "video/mp4"),
            ], to: "\(directory)/body.multipart")
        guard case .file(let path, let contentType) = body else {
            Issue.record("a multipart body is a file")
            return
        }
        #expect(contentType.hasPrefix("multipart/form-data; boundary=imgur-archive-"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        _ = try await URLSessionTransport().fetch(
            HTTPRequest(url: testURL(server.baseURL.absoluteString + "/3/upload"), method: "POST", body: body))
        let sent = try #require(server.requests.last)
        #expect(sent.header("Content-Length") == String(sent.body.count))
        let boundary = String(contentType.dropFirst("multipart/form-data; boundary=".count))
        let parts = Self.parts(sent.body, boundary: boundary)
        #expect(parts.count == 3)
        #expect(parts[0].head.contains("name=\"type\"") && parts[0].body == Data("file".utf8))
        #expect(parts[1].head.contains("name=\"title\"") && parts[1].body == Data("Ünïcode \"quoted\"".utf8))
        #expect(parts[2].head.contains("name=\"video\"; filename=\"clip.mp4\"") && parts[2].head.contains("Content-Type: video/mp4"))
        #expect(parts[2].body == media)
    }

    @Test func aBoundaryFoundInTheFileIsNeverUsed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let boundary = "imgur-archive-0123456789abcdef"
        // The marker straddles the 1 MiB pieces the file is copied in.
        var file = distinctBytes((1 << 20) - 10)
        file.append(Data("--\(boundary)".utf8))
        file.append(distinctBytes(500))
        try file.write(to: URL(fileURLWithPath: "\(directory)/f"))
        let parts: [MultipartForm.Part] = [.file(name: "image", path: "\(directory)/f", fileName: "f", contentType: "image/png")]
        #expect(try MultipartForm.write(parts, to: "\(directory)/b", boundary: boundary) == false)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/b"), "the body that would have been cut is removed")
        #expect(try MultipartForm.write(parts, to: "\(directory)/b", boundary: "imgur-archive-fedcba9876543210"))
        let written = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/b"))
        #expect(Self.parts(written, boundary: "imgur-archive-fedcba9876543210").first?.body == file)
    }

    @Test func idempotencyFollowsTheMethodUnlessMarked() {
        let url = testURL("https://api.imgur.com/3/image")
        #expect(HTTPRequest(url: url).isIdempotent)
        #expect(HTTPRequest(url: url, method: "DELETE").isIdempotent)
        #expect(HTTPRequest(url: url, method: "PUT").isIdempotent)
        #expect(!HTTPRequest(url: url, method: "POST").isIdempotent)
        #expect(HTTPRequest(url: url, method: "POST", idempotent: true).isIdempotent)
    }

    /// The parts of a multipart body: each part's header block and its bytes.
    static func parts(_ body: Data, boundary: String) -> [(head: String, body: Data)] {
        let marker = Data("--\(boundary)".utf8)
        var result: [(String, Data)] = []
        var cursor = body.startIndex
        while let start = body.range(of: marker, in: cursor..<body.endIndex) {
            let afterMarker = start.upperBound
            if body[afterMarker...].starts(with: Data("--".utf8)) { break }
            guard let headEnd = body.range(of: Data("\r\n\r\n".utf8), in: afterMarker..<body.endIndex),
                let next = body.range(of: Data("\r\n".utf8) + marker, in: headEnd.upperBound..<body.endIndex)
            else { break }
            result.append((String(decoding: body[afterMarker..<headEnd.lowerBound], as: UTF8.self),
                           Data(body[headEnd.upperBound..<next.lowerBound])))
            cursor = next.lowerBound + 2
        }
        return result
    }

    // MARK: Cancelled POSTs

    /// A POST the server has received (then it answers nothing) and that is cancelled: nobody
    /// can tell whether it was acted on, so it is a plain cancellation, never "unsent".
    @Test func aCancelledPostThatWasSentMayHaveReachedTheServer() async throws {
        let server = try LoopbackServer { _ in ServerResponse.json("{}").with(.stallWithoutResponse) }
        defer { server.stop() }
        let request = HTTPRequest(
            url: testURL(server.baseURL.absoluteString + "/3/image"), method: "POST",
            body: .json(Data(String(repeating: "x", count: 50_000).utf8)), idleTimeout: 30, deadline: 60)
        let transport = URLSessionTransport()
        let task = Task { try await transport.fetch(request) }
        #expect(await waitUntil { server.requestCount == 1 })
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    /// A POST still waiting for a connection when it is cancelled never left: it is "unsent",
    /// which proves the server did not act on it.
    @Test func aCancelledPostStillWaitingForAConnectionIsUnsent() async throws {
        let server = try LoopbackServer { request in
            request.path == "/busy" ? ServerResponse.json("{}").with(.stallWithoutResponse) : .json("{}")
        }
        defer { server.stop() }
        let transport = URLSessionTransport(configuration: .init(sessions: 1, connectionsPerSession: 1))
        let busy = Task { try await transport.fetch(HTTPRequest(url: testURL(server.baseURL.absoluteString + "/busy"), idleTimeout: 30, deadline: 60)) }
        #expect(await waitUntil { server.requestCount == 1 })
        let post = HTTPRequest(
            url: testURL(server.baseURL.absoluteString + "/3/image"), method: "POST", body: .json(Data("{}".utf8)),
            idleTimeout: 30, deadline: 60)
        let task = Task { try await transport.fetch(post) }
        try await Task.sleep(for: .milliseconds(300))  // it queues behind the busy connection
        task.cancel()
        let result = await task.result
        #expect(throws: HTTPError.cancelledUnsent(url: post.url.absoluteString)) { try result.get() }
        #expect(server.requests(matching: "/3/image").isEmpty)
        #expect(HTTPError.cancelledUnsent(url: "u").provesRequestNotProcessed)
        busy.cancel()
        _ = await busy.result
    }
}
