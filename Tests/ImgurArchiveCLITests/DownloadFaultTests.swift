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

/// Each fault the real world throws at downloads, injected by the test server; every test checks
/// the final archive byte for byte.
@Suite struct DownloadFaultTests {
    /// One album with one large media file whose responses the test controls.
    static func setUp(size: Int = 600_000) throws -> (Harness, FakeMedia) {
        let harness = try Harness()
        let media = FakeMedia(id: "BigFile", ext: "jpg", size: size, description: "big")
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [media, FakeMedia(id: "Small01", ext: "png", size: 900)]))
        return (harness, media)
    }

    /// The media response with its validators, as the fake CDN sends it.
    static func full(_ media: FakeMedia) -> ServerResponse {
        .bytes(media.data, contentType: media.contentType, headers: [("ETag", media.etag), ("Accept-Ranges", "bytes")])
    }

    static func expectComplete(_ harness: Harness, _ media: FakeMedia) throws {
        #expect(harness.data("q6i58/\(media.fileName)") == media.data)
        let metadata = try #require(harness.json("q6i58/metadata_q6i58.json"))
        #expect(metadata["status"] == "complete")
        #expect(metadata["media"]?.arrayValue?.first?["sha256"] == .string(SHA256.hexDigest(of: media.data)))
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
        #expect(harness.files().allSatisfy { !$0.hasSuffix(".part") && !$0.hasSuffix(".part.json") })
    }

    @Test func aConnectionDroppedMidBodyResumesWithRangeAndIfRange() async throws {
        let (harness, media) = try Self.setUp()
        harness.imgur.inject("/media/BigFile.jpg", Self.full(media).with(.dropAfter(bytes: 200_000, reset: true)))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        try Self.expectComplete(harness, media)
        let requests = harness.imgur.requests("/media/BigFile.jpg")
        let resumed = try #require(requests.last)
        let range = try #require(resumed.header("Range"))
        #expect(range.hasPrefix("bytes=") && range != "bytes=0-", "resumed from where the drop left off: \(range)")
        #expect(resumed.header("If-Range") == media.etag)
        #expect(result.err.contains("retrying q6i58/BigFile.jpg in"), "the wait is shown")
    }

    @Test func fewerBytesThanContentLengthIsNeverKept() async throws {
        let (harness, media) = try Self.setUp()
        harness.imgur.inject("/media/BigFile.jpg", Self.full(media).with(.shortBody(bytes: 123_456)))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        try Self.expectComplete(harness, media)
        #expect(harness.imgur.requests("/media/BigFile.jpg").last?.header("Range") == "bytes=123456-")
    }

    @Test func aServerErrorThenSuccessIsRetried() async throws {
        let (harness, media) = try Self.setUp()
        harness.imgur.inject("/media/BigFile.jpg", .text("Internal error", status: 500), .text("Bad gateway", status: 502))
        harness.imgur.inject("/3/album/q6i58", .html("<html><title>503 client read error</title></html>", status: 503))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        try Self.expectComplete(harness, media)
        #expect(result.err.contains("retrying album q6i58 in"))
        #expect(result.err.contains("(attempt 2: \(harness.imgur.mediaURL("BigFile.jpg")) answered HTTP 502)"))
    }

    @Test func tooManyRequestsWithRetryAfterWaitsAsAsked() async throws {
        let (harness, media) = try Self.setUp()
        harness.imgur.inject("/media/BigFile.jpg", ServerResponse(status: 429, headers: [("Retry-After", "1")]))
        let started = Date()
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        #expect(Date().timeIntervalSince(started) >= 1, "Retry-After honoured")
        #expect(result.err.contains("retrying q6i58/BigFile.jpg in 1.0s"))
        try Self.expectComplete(harness, media)
    }

    @Test func aRetryAfterLongerThanTheCapIsNotWaitedFor() async throws {
        let (harness, _) = try Self.setUp()
        harness.imgur.inject("/3/album/q6i58", ServerResponse(status: 429, headers: [("Retry-After", "3600")]))
        let started = Date()
        let result = await harness.run(["q6i58"])
        #expect(Date().timeIntervalSince(started) < 60, "the 3,600 s asked for were not waited")
        #expect(result.status == .temporary)
        #expect(result.out.contains("deferred"))
    }

    @Test func imgurOverCapacityIsRetried() async throws {
        let (harness, media) = try Self.setUp()
        harness.imgur.inject(
            "/3/album/q6i58",
            FakeImgur.apiError(403, "Imgur is temporarily over capacity. Please try again later.", request: "/3/album/q6i58"))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        #expect(result.err.contains("Imgur is over capacity"))
        try Self.expectComplete(harness, media)
    }

    @Test func aTransferSlowerThanTheIdleTimeoutIsResumed() async throws {
        let (harness, media) = try Self.setUp()
        harness.downloadSettings = DownloadSettings(idleTimeout: 1, deadline: 30)
        harness.imgur.inject("/media/BigFile.jpg", Self.full(media).with(.trickle(chunkSize: 50_000, interval: 2.5)))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.err)")
        #expect(result.err.contains("no data from 127.0.0.1 for 1s"))
        try Self.expectComplete(harness, media)
    }

    @Test func aTransferThatNeverIdlesButOverrunsItsDeadlineIsResumed() async throws {
        let (harness, media) = try Self.setUp()
        harness.downloadSettings = DownloadSettings(idleTimeout: 5, deadline: 1)
        harness.imgur.inject("/media/BigFile.jpg", Self.full(media).with(.trickle(chunkSize: 20_000, interval: 0.2)))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.err)")
        #expect(result.err.contains("took longer than 1s"))
        try Self.expectComplete(harness, media)
    }

    @Test func aRedirectToRemovedPNGMakesAPartialAlbumThatKeepsTheSlot() async throws {
        let (harness, media) = try Self.setUp()
        harness.imgur.inject("/media/Small01.png", .redirect(to: "\(harness.imgur.apiBase)/removed.png"))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        #expect(result.out.contains("partial          q6i58    1 of 2 files; not served by Imgur any more: Small01"))
        #expect(harness.requestsFor("/removed.png") == 0, "the placeholder is not even fetched")
        #expect(harness.data("q6i58/\(media.fileName)") == media.data)
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/Small01.png")))
        #expect(harness.json("q6i58/script_q6i58.json") == ["1": "BigFile", "2": "Small01"])
        let record = try #require(harness.json("q6i58/metadata_q6i58.json")?["media"]?.arrayValue?.last)
        #expect(record["status"] == "removed")
        #expect(record["http_status"] == 302)
        #expect(record["seen_at"] == "2026-09-21T14:13:20Z")
        #expect(record["file"] == .null)
        let entry = try #require(harness.json("scraping_logs.json")?["q6i58"])
        #expect(entry["status"] == "partial")
        #expect(entry["missing"] == ["Small01"])

        // Not fetched again on every run...
        harness.imgur.server.resetLog()
        #expect(await harness.run(["q6i58"]).status == .success)
        #expect(harness.imgur.requestCount == 0)
        // ... but --refresh tries again, and keeps the file already there.
        let refreshed = await harness.run(["--refresh", "q6i58"])
        #expect(refreshed.status == .success)
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
        #expect(harness.imgur.requests("/media/BigFile.jpg").map(\.method) == ["HEAD"], "the stored file is not downloaded again, only asked about")
    }

    @Test func theRemovedPlaceholderServedWithoutARedirectIsNotSavedAsMedia() async throws {
        let (harness, _) = try Self.setUp()
        harness.imgur.inject("/media/Small01.png", .bytes(FakeMedia.removedPlaceholder, contentType: "image/png"))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "partial")
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/Small01.png")))
    }

    @Test func aMissingMediaFileIsRecordedMissing() async throws {
        let (harness, _) = try Self.setUp()
        harness.imgur.inject("/media/Small01.png", .html("<html>404</html>", status: 404))
        #expect(await harness.run(["q6i58"]).status == .success)
        let record = try #require(harness.json("q6i58/metadata_q6i58.json")?["media"]?.arrayValue?.last)
        #expect(record["status"] == "missing")
        #expect(record["http_status"] == 404)
    }

    @Test(arguments: [
        ServerResponse.html("<!DOCTYPE html><html><body>Imgur</body></html>"),
        ServerResponse.bytes(Data("<html><body>not really a jpeg</body></html>".utf8), contentType: "image/jpeg"),
        ServerResponse.bytes(Data(repeating: 0x41, count: 5000), contentType: "image/jpeg"),
        // First chunks shorter than the signature: the check covers the file's first bytes, not the first chunk's.
        ServerResponse.bytes(Data(("<html><body>over capacity</body></html>" + String(repeating: " ", count: 300)).utf8),
            contentType: "image/jpeg").with(.trickle(chunkSize: 5, interval: 0.005)),
    ])
    func aBodyThatIsNotTheMediaIsNeverSaved(body: ServerResponse) async throws {
        let (harness, media) = try Self.setUp()
        harness.retryPolicy = RetryPolicy(maxAttempts: 1)
        harness.imgur.inject("/media/BigFile.jpg", body)
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("did not return media"))
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/\(media.fileName)")))
        #expect(harness.files().allSatisfy { !$0.hasSuffix(".part") }, "no partial file left to resume from")
        #expect(harness.json("scraping_logs.json") == [:])
        // The next run, with the real media back (and retries as usual), completes the album.
        harness.retryPolicy = Harness.defaultRetryPolicy
        let next = await harness.run(["q6i58"])
        #expect(next.status == .success, "\(next.out)\(next.err)")
        try Self.expectComplete(harness, media)
    }

    @Test func aServerThatIgnoresRangeStartsOver() async throws {
        let (harness, media) = try Self.setUp()
        harness.imgur.setHonourRange(false)
        harness.imgur.inject("/media/BigFile.jpg", Self.full(media).with(.dropAfter(bytes: 300_000, reset: false)))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        try Self.expectComplete(harness, media)
        #expect(harness.imgur.requests("/media/BigFile.jpg").last?.header("Range") == "bytes=300000-")
    }

    @Test func aPartialFileFromAnEarlierRunIsResumedAndTheDigestCoversTheWholeFile() async throws {
        let (harness, media) = try Self.setUp()
        // What a killed run leaves behind: the first bytes, and their validators.
        try FileManager.default.createDirectory(atPath: harness.path("q6i58"), withIntermediateDirectories: true)
        try media.data.prefix(250_000).write(to: URL(fileURLWithPath: harness.path("q6i58/.BigFile.jpg.part")))
        try ResumeState(url: harness.imgur.mediaURL("BigFile.jpg"), etag: media.etag, lastModified: nil, length: Int64(media.data.count))
            .save(".BigFile.jpg.part.json", in: try Directory.open(harness.path("q6i58")))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        try Self.expectComplete(harness, media)
        let requests = harness.imgur.requests("/media/BigFile.jpg")
        #expect(requests.count == 1)
        #expect(requests.first?.header("Range") == "bytes=250000-")
        #expect(requests.first?.header("If-Range") == media.etag)
    }

    @Test func aPartialFileThatChangedOnTheServerStartsOver() async throws {
        let (harness, media) = try Self.setUp()
        try FileManager.default.createDirectory(atPath: harness.path("q6i58"), withIntermediateDirectories: true)
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: harness.path("q6i58/.BigFile.jpg.part")))
        try ResumeState(url: harness.imgur.mediaURL("BigFile.jpg"), etag: "\"old-version\"", lastModified: nil, length: 5000)
            .save(".BigFile.jpg.part.json", in: try Directory.open(harness.path("q6i58")))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Self.expectComplete(harness, media)
    }

    @Test func aPartialFileThatIsAlreadyCompleteGets416AndIsKept() async throws {
        let (harness, media) = try Self.setUp()
        try FileManager.default.createDirectory(atPath: harness.path("q6i58"), withIntermediateDirectories: true)
        try media.data.write(to: URL(fileURLWithPath: harness.path("q6i58/.BigFile.jpg.part")))
        try ResumeState(url: harness.imgur.mediaURL("BigFile.jpg"), etag: media.etag, lastModified: nil, length: Int64(media.data.count))
            .save(".BigFile.jpg.part.json", in: try Directory.open(harness.path("q6i58")))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Self.expectComplete(harness, media)
        #expect(harness.imgur.requests("/media/BigFile.jpg").count == 1)
    }

    @Test func aResponseRangeThatDoesNotContinueOurFileIsRefused() async throws {
        let (harness, media) = try Self.setUp()
        try FileManager.default.createDirectory(atPath: harness.path("q6i58"), withIntermediateDirectories: true)
        try media.data.prefix(1000).write(to: URL(fileURLWithPath: harness.path("q6i58/.BigFile.jpg.part")))
        try ResumeState(url: harness.imgur.mediaURL("BigFile.jpg"), etag: media.etag, lastModified: nil, length: nil)
            .save(".BigFile.jpg.part.json", in: try Directory.open(harness.path("q6i58")))
        harness.imgur.inject(
            "/media/BigFile.jpg",
            ServerResponse(
                status: 206, headers: [("Content-Range", "bytes 500-\(media.data.count - 1)/\(media.data.count)")],
                body: media.data.dropFirst(500)))
        #expect(await harness.run(["q6i58"]).status == .success)
        try Self.expectComplete(harness, media)
    }

    @Test func anAPIRedirectToAnotherHostNeverCarriesTheClientID() async throws {
        let (harness, media) = try Self.setUp()
        // Another origin (another port) that answers like the API without checking credentials.
        let other = try LoopbackServer { [imgur = harness.imgur] request in imgur.apiAnswer(request.path) }
        defer { other.stop() }
        harness.imgur.inject("/3/album/q6i58", .redirect(to: "\(other.baseURL.absoluteString)/3/album/q6i58", status: 307))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(other.requestCount == 1)
        #expect(other.requests.allSatisfy { $0.header("Authorization") == nil })
        try Self.expectComplete(harness, media)
    }

    @Test func theRateLimitReserveDefersTheRestAndTheNextRunContinues() async throws {
        let harness = try Harness()
        let ids = ["Album01", "Album02", "Album03", "Album04"]
        for (index, id) in ids.enumerated() {
            harness.imgur.add(FakeAlbum(id: id, media: EndToEndTests.sampleMedia("\(index)")))
        }
        harness.reserve = RateLimitReserve(client: 100, user: 2)
        harness.imgur.setRateLimit(client: 101, user: 400)
        let first = await harness.run(["--jobs", "1"] + ids)
        #expect(first.status == .temporary)
        #expect(first.err.contains("3 albums deferred: application budget down to 100 of 12500 requests (reserve 100)"))
        #expect(harness.imgur.requests("/3/").count == 1, "no album is started past the reserve")
        #expect(harness.json("scraping_logs.json")?.objectValue?.keys.sorted() == ["Album01"])

        harness.imgur.setRateLimit(client: 5000, user: 400)
        let second = await harness.run(["--jobs", "1"] + ids)
        #expect(second.status == .success)
        #expect(harness.json("scraping_logs.json")?.objectValue?.keys.sorted() == ids)
    }

    @Test func theHourlyUserBudgetIsRespectedToo() async throws {
        let harness = try Harness()
        for id in ["Album01", "Album02"] { harness.imgur.add(FakeAlbum(id: id, media: [FakeMedia(id: "M\(id.suffix(2))AAAA")])) }
        harness.imgur.setRateLimit(client: 5000, user: 3)
        let result = await harness.run(["--jobs", "1", "Album01", "Album02"])
        #expect(result.status == .temporary)
        #expect(result.err.contains("1 album deferred: hourly budget down to 2 of 500 requests (reserve 2); the limit resets at"))
    }
}

extension Harness {
    func requestsFor(_ path: String) -> Int { imgur.requests(path).count }
}

/// A disk that fills up for real.
@Suite struct DiskFullTests {
    @Test(.enabled(if: TinyFilesystem.available, "needs permission to mount a tmpfs"))
    func aFullDiskStopsTheRunAndTheNextRunWithSpaceCompletes() async throws {
        let harness = try Harness()
        let media = [FakeMedia(id: "Fits001", size: 100_000), FakeMedia(id: "TooBig1", size: 1_500_000)]
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        let disk = try TinyFilesystem(bytes: 1_024 * 1_024)
        defer { disk.unmount() }
        let result = await harness.run(["--dir", disk.path, "q6i58"])
        #expect(result.status == .failure)
        #expect(result.err.contains("No space left on device"))
        #expect(result.err.contains(disk.path))
        #expect(!FileManager.default.fileExists(atPath: "\(disk.path)/q6i58/TooBig1.jpg"))
        #expect((try? JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(disk.path)/scraping_logs.json")))) == [:])

        try disk.grow(to: 8 * 1_024 * 1_024)
        let next = await harness.run(["--dir", disk.path, "q6i58"])
        #expect(next.status == .success, "\(next.out)\(next.err)")
        for item in media {
            #expect(FileManager.default.contents(atPath: "\(disk.path)/q6i58/\(item.fileName)") == item.data)
        }
    }
}
