import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI
@testable import ImgurArchiveCLI
@testable import Jobs

/// A download continued or ended in a way that could splice or cut the file is never kept: each
/// test checks that the final file is the media, byte for byte, and its digest covers all of it.
@Suite struct ResumeIntegrityTests {
    typealias Faults = DownloadFaultTests

    static func partial(_ media: FakeMedia, status: Int = 206, range: String, body: Range<Int>) -> ServerResponse {
        .bytes(
            media.data.subdata(in: body), contentType: media.contentType, status: status,
            headers: [("ETag", media.etag), ("Content-Range", range)])
    }

    @Test func aContinuationWithAnUnknownTotalIsNotTakenForTheRest() async throws {
        let (harness, media) = try Faults.setUp()
        harness.imgur.inject(
            "/media/BigFile.jpg", Faults.full(media).with(.shortBody(bytes: 200_000)),
            Self.partial(media, range: "bytes 200000-299999/*", body: 200_000..<300_000))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        try Faults.expectComplete(harness, media)
        #expect(harness.imgur.requests("/media/BigFile.jpg").last?.header("Range") == nil, "started over")
    }

    @Test func aContinuationThatStopsBeforeTheEndIsRefused() async throws {
        let (harness, media) = try Faults.setUp()
        harness.imgur.inject(
            "/media/BigFile.jpg", Faults.full(media).with(.shortBody(bytes: 200_000)),
            Self.partial(media, range: "bytes 200000-299999/600000", body: 200_000..<300_000))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Faults.expectComplete(harness, media)
    }

    @Test func aContinuationOfAFileOfAnotherLengthIsRefused() async throws {
        let (harness, media) = try Faults.setUp()
        try FileManager.default.createDirectory(atPath: harness.path("q6i58"), withIntermediateDirectories: true)
        try media.data.prefix(250_000).write(to: URL(fileURLWithPath: harness.path("q6i58/.BigFile.jpg.part")))
        try ResumeState(
            url: harness.imgur.mediaURL("BigFile.jpg"), etag: media.etag, lastModified: nil, length: 900_000
        ).save(".BigFile.jpg.part.json", in: try Directory.open(harness.path("q6i58")))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Faults.expectComplete(harness, media)
        let requests = harness.imgur.requests("/media/BigFile.jpg")
        #expect(requests.first?.header("Range") == "bytes=250000-")
        #expect(requests.count == 2 && requests.last?.header("Range") == nil, "the 206 for a 600,000-byte file was refused")
    }

    /// Without `ETag` or `Last-Modified` nothing tells a continuation of the same file from a
    /// changed one: the download starts over instead of sending a bare `Range`.
    @Test func withoutAValidatorADroppedDownloadStartsOver() async throws {
        let (harness, media) = try Faults.setUp()
        harness.imgur.inject(
            "/media/BigFile.jpg",
            ServerResponse.bytes(media.data, contentType: media.contentType).with(.dropAfter(bytes: 200_000, reset: true)),
            ServerResponse.bytes(media.data, contentType: media.contentType))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Faults.expectComplete(harness, media)
        let requests = harness.imgur.requests("/media/BigFile.jpg")
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.header("Range") == nil && $0.header("If-Range") == nil })
    }

    /// An empty `ETag` is no validator either: an empty `If-Range` would go out as no field at all
    /// (libcurl drops a field without a value), leaving a bare `Range` that could splice a changed file.
    @Test func anEmptyETagIsNoValidator() async throws {
        let (harness, media) = try Faults.setUp()
        harness.imgur.inject(
            "/media/BigFile.jpg",
            ServerResponse.bytes(media.data, contentType: media.contentType, headers: [("ETag", "")])
                .with(.dropAfter(bytes: 200_000, reset: true)),
            ServerResponse.bytes(media.data, contentType: media.contentType))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Faults.expectComplete(harness, media)
        let requests = harness.imgur.requests("/media/BigFile.jpg")
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.header("Range") == nil && $0.headerValues("If-Range").isEmpty })
    }

    /// A body without `Content-Length` ends when the connection closes, so a cut one looks whole:
    /// the API's `size` shows it is short.
    @Test func aBodyWithoutContentLengthCutShortIsFetchedAgain() async throws {
        let (harness, media) = try Faults.setUp()
        harness.imgur.inject(
            "/media/BigFile.jpg",
            ServerResponse.bytes(
                media.data, contentType: media.contentType,
                headers: [("Connection", "close"), ("Transfer-Encoding", "identity")]
            ).with(.shortBody(bytes: 250_000)))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        try Faults.expectComplete(harness, media)
        #expect(harness.imgur.requests("/media/BigFile.jpg").count == 2)
    }

    /// The same body, whole, is kept: without a length the API's size is only a floor.
    @Test func aWholeBodyWithoutContentLengthIsKept() async throws {
        let (harness, media) = try Faults.setUp()
        harness.imgur.inject(
            "/media/BigFile.jpg",
            ServerResponse.bytes(
                media.data, contentType: media.contentType,
                headers: [("Connection", "close"), ("Transfer-Encoding", "identity")]))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Faults.expectComplete(harness, media)
        #expect(harness.imgur.requests("/media/BigFile.jpg").count == 1)
    }
}
