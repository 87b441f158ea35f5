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

/// Servers that lie (docs/design.md, "Threat model"): each test performs one attack from the
/// "Hostile ground" list against the real client and checks that it does no harm.
@Suite struct HostileServerTests {
    static func album(_ harness: Harness, size: Int = 49_928, apiSize: Int? = nil) -> FakeMedia {
        let media = FakeMedia(id: "Victim1", ext: "jpg", size: size, apiSize: apiSize)
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [media, FakeMedia(id: "Other01", ext: "png", size: 900)]))
        return media
    }

    // MARK: 8. A Content-Length shorter than the file

    @Test func aContentLengthThatLiesShortIsNotArchivedButKeptAside() async throws {
        let harness = try Harness()
        let media = Self.album(harness)
        let half = media.data.prefix(24_964)
        for _ in 0..<3 {
            harness.imgur.inject("/media/Victim1.jpg", .bytes(Data(half), contentType: "image/jpeg", headers: [("ETag", media.etag)]))
        }
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure, "\(result.out)\(result.err)")
        #expect(result.out.contains("failed           q6i58    Victim1: 24964 bytes came, the API says 49928; kept as quarantine/q6i58/Victim1.jpg.size-mismatch-"))
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/Victim1.jpg")), "never under the final name")
        #expect(harness.json("scraping_logs.json")?["q6i58"] == nil, "kept out of the catalog")
        let record = try #require(harness.json("q6i58/metadata_q6i58.json")?["media"]?.arrayValue?.first)
        #expect(record["status"] == "size_mismatch")
        #expect(record["api_size"] == 49_928)
        #expect(record["bytes"] == 24_964)
        let kept = try #require(record["kept_aside"]?.stringValue)
        #expect(harness.data(kept) == Data(half))
        #expect(harness.json("q6i58/metadata_q6i58.json")?["status"] == "incomplete")
        #expect(harness.imgur.requests("/media/Victim1.jpg").count == 3, "retried, as a short file may be a passing fault")

        // The next run, with the server honest again, archives it; the kept copy stays.
        let next = await harness.run(["q6i58"])
        #expect(next.status == .success, "\(next.out)\(next.err)")
        #expect(harness.data("q6i58/Victim1.jpg") == media.data)
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
        #expect(harness.data(kept) == Data(half))
        #expect(await harness.run(["verify"]).status == .success)
    }

    @Test(arguments: [0, 1_000_000_000_000_000])
    func anImplausibleAPISizeIsIgnored(apiSize: Int) async throws {
        let harness = try Harness()
        let media = Self.album(harness, size: 30_000, apiSize: apiSize)
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.data("q6i58/Victim1.jpg") == media.data)
    }

    // MARK: 9. No cap on media size

    @Test func anEndlessBodyStopsAtTheAPISizeAndIsRemoved() async throws {
        let harness = try Harness()
        _ = Self.album(harness, size: 10_000)
        // Sent chunked, without a length: 5 MB for a file the API says has 10,000 bytes.
        let flood = FakeMedia.bytes(ext: "jpg", size: 5_000_000, seed: "flood")
        for _ in 0..<3 {
            harness.imgur.inject("/media/Victim1.jpg", ServerResponse.bytes(flood, contentType: "image/jpeg").with(.chunked))
        }
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("sent more than 75536 bytes, more than the file can have; stopped"))
        #expect(harness.imgur.requests("/media/Victim1.jpg").count == 1, "not retried")
        #expect(harness.files().allSatisfy { !$0.contains("Victim1") }, "\(harness.files())")
    }

    @Test func aHugeContentLengthIsRefusedBeforeAByteIsWritten() async throws {
        let harness = try Harness()
        _ = Self.album(harness, size: 10_000)
        harness.imgur.inject(
            "/media/Victim1.jpg",
            ServerResponse(status: 200, headers: [("Content-Type", "image/jpeg"), ("Content-Length", "10000000000000")],
                           body: FakeMedia.bytes(ext: "jpg", size: 100_000, seed: "x")).with(.stallAfter(bytes: 50_000)))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("more than the file can have"))
        #expect(harness.files().allSatisfy { !$0.contains("Victim1") })
    }

    @Test func aCompressedMediaBodyIsRefusedNotInflated() async throws {
        let harness = try Harness()
        _ = Self.album(harness, size: 10_000)
        harness.imgur.inject(
            "/media/Victim1.jpg",
            .bytes(Data([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0x03]), contentType: "image/jpeg", headers: [("Content-Encoding", "gzip")]))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("answered with Content-Encoding gzip, which was not asked for; refused"))
        #expect(harness.imgur.requests("/media/Victim1.jpg").allSatisfy { $0.headerValues("Accept-Encoding") == ["identity"] })
    }

    // MARK: 10. A server that drips

    @Test func aFileThatDripsIsDeferredInsteadOfHoldingTheRun() async throws {
        let harness = try Harness()
        let media = Self.album(harness, size: 200_000)
        harness.downloadSettings.minimumRate = 1_000_000
        harness.downloadSettings.rateGrace = 0.5
        // 100 bytes every 50 ms: progress every time, so retries alone would never give up.
        for _ in 0..<50 {
            harness.imgur.inject(
                "/media/Victim1.jpg",
                .bytes(media.data, contentType: "image/jpeg", headers: [("ETag", media.etag)])
                    .with(.trickle(chunkSize: 100, interval: 0.05)))
        }
        let result = await harness.run(["q6i58"])
        #expect(result.status == .temporary, "\(result.out)\(result.err)")
        #expect(result.out.contains("deferred         q6i58"))
        #expect(result.out.contains("is too slow ("))
        #expect(harness.json("scraping_logs.json")?["q6i58"] == nil)
    }

    // MARK: 12. A gzip bomb on the API

    @Test func aCompressedAPIAnswerIsRefusedAtOnce() async throws {
        let harness = try Harness()
        harness.imgur.inject(
            "/3/album/q6i58",
            .bytes(Data(repeating: 0x1f, count: 1_000), contentType: "application/json", headers: [("Content-Encoding", "gzip")]))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure, "\(result.out)\(result.err)")
        #expect(result.out.contains("Content-Encoding gzip, which was not asked for"))
        #expect(harness.imgur.requests("/3/album/q6i58").count == 1, "not retried")
    }

    // MARK: 13. One album of 300,000 images

    /// An album long enough that its answer, its image list and its records are kept on disk (past
    /// 1 MiB and 1,000 items; docs/design.md, "One large album"): archived whole and in order, a
    /// media listed twice fetched once, the documents as for a small album, nothing left behind;
    /// verify, html and a refresh read it back.
    @Test func aLongAlbumGoesThroughItsSpools() async throws {
        let harness = try Harness()
        var media = (0..<1_600).map { FakeMedia(id: String(format: "L%06d", $0), size: 40, description: $0 % 2 == 0 ? "d\($0)" : nil) }
        media.insert(media[5], at: 900)
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "Long", media: media))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")

        let metadata = try #require(harness.json("q6i58/metadata_q6i58.json"))
        #expect(metadata["media_count"] == .int(1_601))
        #expect(metadata["status"] == "complete")
        let records = metadata["media"]?.arrayValue ?? []
        #expect(records.map { $0["id"]?.stringValue } == media.map(\.id))
        #expect(records.map { $0["position"]?.int64Value } == (1...1_601).map { Int64($0) })
        #expect(records.allSatisfy { $0["status"] == "ok" && $0["sha256"]?.stringValue?.count == 64 })
        #expect(metadata["api"]?["images"]?.arrayValue?.map { $0["id"]?.stringValue } == media.map(\.id))
        #expect(metadata["api"]?["title"] == "Long")
        let script = try #require(harness.json("q6i58/script_q6i58.json")?.objectValue)
        #expect(script.count == 1_601)
        #expect(script["901"] == "L000005")
        #expect(script["1601"] == "L001599")
        let descriptions = try #require(harness.json("q6i58/descriptions_q6i58.json")?.objectValue)
        #expect(descriptions.count == 1_600)
        #expect(descriptions["L000004"] == "d4")
        #expect(descriptions["L000005"] == .null)
        // Written in the writer's key order, as a small album's.
        let text = String(decoding: harness.data("q6i58/descriptions_q6i58.json") ?? Data(), as: UTF8.self)
        let keys = text.split(separator: "\n").compactMap { line in line.split(separator: "\"").dropFirst().first.map(String.init) }
        #expect(keys == descriptions.keys.sorted())
        #expect(harness.imgur.requests("/media/L000005.jpg").count == 1, "listed twice, fetched once")
        #expect(harness.imgur.requests("/3/").count == 1)
        let folder = (try? FileManager.default.contentsOfDirectory(atPath: harness.path("q6i58"))) ?? []
        #expect(folder.count == 1_600 + 3, "the media and the three documents, no spool")
        let root = (try? FileManager.default.contentsOfDirectory(atPath: harness.path(""))) ?? []
        #expect(root.filter { $0.contains(".tmp-") }.isEmpty)

        let verify = await harness.run(["verify"])
        #expect(verify.status == .success, "\(verify.out)\(verify.err)")
        let html = await harness.run(["html"])
        #expect(html.status == .success, "\(html.out)\(html.err)")
        #expect(String(decoding: harness.data("q6i58/index.html") ?? Data(), as: UTF8.self).contains("L001599.jpg"))

        // Imgur drops the first two: a refresh keeps their records, marked removed upstream.
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "Longer", media: Array(media.dropFirst(2))))
        let refresh = await harness.run(["--refresh", "q6i58"])
        #expect(refresh.status == .success, "\(refresh.out)\(refresh.err)")
        let after = try #require(harness.json("q6i58/metadata_q6i58.json"))
        #expect(after["media_count"] == .int(1_601))
        #expect(after["title"] == "Longer")
        #expect(after["media"]?.arrayValue?.prefix(3).map { $0["removed_upstream_at"] != nil } == [true, true, false])
        #expect(after["api"]?["images"]?.arrayValue?.count == 1_599)
        let sent = harness.imgur.requests("/media/")
        #expect(sent.filter { $0.method == "GET" }.count == 1_600, "a refresh fetches nothing it has")
        #expect(sent.filter { $0.method == "HEAD" }.count == 1_598, "it asks once whether each listed file is still served")
    }

    /// A media listed twice is asked for once, whatever becomes of it, and both positions get its outcome.
    @Test func aMediaListedTwiceIsFetchedOnceWhateverItsOutcome() async throws {
        let harness = try Harness()
        let gone = FakeMedia(id: "GoneAAA", size: 300)
        let kept = FakeMedia(id: "KeptBBB", size: 300)
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [gone, kept, gone, kept]))
        harness.imgur.inject("/media/GoneAAA.jpg", .html("<html><head><title>404</title></head></html>", status: 404))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.imgur.requests("/media/GoneAAA.jpg").count == 1)
        #expect(harness.imgur.requests("/media/KeptBBB.jpg").count == 1)
        let records = harness.json("q6i58/metadata_q6i58.json")?["media"]?.arrayValue ?? []
        #expect(records.map { $0["status"]?.stringValue } == ["missing", "ok", "missing", "ok"])
        #expect(records.map { $0["position"]?.int64Value } == [1, 2, 3, 4])
        #expect(result.out.contains("1 file") && !result.out.contains("new"), "\(result.out)")
    }

    /// An album answer without `images` is completed from `/images`: the list is kept in `api`, as sent.
    @Test func aListCompletedFromTheImagesCallIsKeptInTheAPIObject() async throws {
        let harness = try Harness()
        let media = [FakeMedia(id: "Media01", size: 300), FakeMedia(id: "Media02", size: 300)]
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        harness.imgur.inject("/3/album/q6i58", .json(#"{"data":{"id":"q6i58","title":"T","images_count":2},"success":true,"status":200}"#))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        let api = harness.json("q6i58/metadata_q6i58.json")?["api"]
        #expect(api?["images"]?.arrayValue?.map { $0["id"]?.stringValue } == ["Media01", "Media02"])
        #expect(api?["title"] == "T")
        #expect(harness.imgur.requests("/3/album/q6i58/images").count == 1)
    }

    // MARK: 14. An account listing that never ends

    @Test func anAccountListingThatNeverEndsStopsAtThePageCap() async throws {
        let harness = try Harness()
        var ids: [String] = []
        for number in 0...AccountWalker.maxPages {
            let id = String(format: "Pg%05d", number)
            ids.append(id)
            harness.imgur.add(media: FakeMedia(id: id, size: 600))
        }
        harness.imgur.add(FakeAccount(name: "endless", submissions: ids, pageSize: 1))
        harness.imgur.setRateLimit(client: 100_000, user: 100_000)
        let result = await harness.run(["--metadata-only", "user", "endless"])
        #expect(result.status == .failure, "\(result.err)")
        #expect(result.out.contains("stopped after \(AccountWalker.maxPages) pages of one listing: Imgur's listing did not end"))
        #expect(harness.imgur.requests("/3/account/endless/submissions/").count == AccountWalker.maxPages)
    }

    // MARK: 15. Huge strings

    @Test func aHugeTitleStaysOutOfTheCatalog() async throws {
        let harness = try Harness()
        let title = String(repeating: "long title ", count: 300_000)
        harness.imgur.add(FakeAlbum(id: "q6i58", title: title, media: [FakeMedia(id: "Media01", size: 700)]))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        let cataloged = try #require(harness.json("scraping_logs.json")?["q6i58"]?["title"]?.stringValue)
        #expect(cataloged.count == CatalogEntry.maxTitleLength)
        #expect(harness.json("q6i58/metadata_q6i58.json")?["title"]?.stringValue == title, "the metadata keeps all of it")
        #expect((harness.data("scraping_logs.json")?.count ?? 0) < 2_000)
        #expect(result.out.count < 1_000, "the line quotes a short title")
    }

    // MARK: 16. Terminal injection

    @Test func serverMessagesCannotDrawOnTheTerminal() async throws {
        let harness = try Harness()
        let evil = "bad \u{1B}]0;owned\u{07} \u{1B}]52;c;ZXZpbA==\u{07} \u{1B}]8;;https://x\u{1B}\\link\u{1B}]8;;\u{1B}\\ \u{9B}31m red \u{1B}[2J\nfake line"
        for _ in 0..<3 {
            harness.imgur.inject("/3/album/q6i58", FakeImgur.apiError(503, evil, request: "/3/album/q6i58"))
        }
        harness.imgur.inject("/3/album/AbCdE", FakeImgur.apiError(400, evil, request: "/3/album/AbCdE"))
        let result = await harness.run(["q6i58", "AbCdE"])
        let all = result.out + result.err
        #expect(!all.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B })
        #expect(!all.contains("\nfake line"), "no line of the server's")
        #expect(all.contains("bad ?]0;owned?"))
    }

    // MARK: 17 and 18. One bad field, and numbers as sent

    @Test func badTextsAndHugeNumbersDoNotCostTheAlbum() async throws {
        let harness = try Harness()
        let media = FakeMedia(id: "Media01", size: 800)
        harness.imgur.add(media: media)
        var body = Array(#"{"data":{"id":"q6i58","title":"caf"#.utf8)
        body += [0xE9, 0xFF]  // not UTF-8
        body += Array(#"","description":"lone \ud800 surrogate","big":18446744073709551616,"tiny":1e-400,"#.utf8)
        body += Array(#""huge":1e400,"pi":3.14159265358979323846264338327950288,"dup":1,"dup":2,"images_count":1,"images":[{"id":"Media01","type":"image/jpeg","size":800,"link":"\#(harness.imgur.mediaURL("Media01.jpg"))"}]},"success":true,"status":200}"#.utf8)
        harness.imgur.inject("/3/album/q6i58", .bytes(Data(body), contentType: "application/json"))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.data("q6i58/Media01.jpg") == media.data)
        let text = String(decoding: try #require(harness.data("q6i58/metadata_q6i58.json")), as: UTF8.self)
        for exact in [#""big": 18446744073709551616"#, #""tiny": 1e-400"#, #""huge": 1e400"#, #""pi": 3.14159265358979323846264338327950288"#, #""dup": 2"#] {
            #expect(text.contains(exact), "\(exact)")
        }
        #expect(harness.json("q6i58/metadata_q6i58.json")?["description"] == "lone \u{FFFD} surrogate")
        #expect(harness.json("q6i58/metadata_q6i58.json")?["title"]?.stringValue?.hasPrefix("caf") == true)
    }

    // MARK: 23. Schemes and user info

    @Test func aCapitalisedSchemeIsStillHTTP() async throws {
        let harness = try Harness()
        let media = FakeMedia(id: "Media01", size: 800, extra: [])
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [media]))
        harness.environment["IMGUR_API_BASE"] = harness.imgur.apiBase.replacingOccurrences(of: "http://", with: "HTTP://")
        let link = harness.imgur.mediaURL("Media01.jpg").replacingOccurrences(of: "http://", with: "HTTP://")
        var shouting = media
        shouting.extra = [("link", .string(link))]
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [shouting]))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.data("q6i58/Media01.jpg") == media.data)
        #expect(harness.imgur.requests("/3/").count == 1, "no retries of an 'unsupported URL'")
    }

    @Test func aMediaLinkWithAPasswordIsNeverFetched() async throws {
        let harness = try Harness()
        var media = FakeMedia(id: "Media01", size: 800)
        let link = harness.imgur.mediaURL("Media01.jpg").replacingOccurrences(of: "http://", with: "http://user:secret@")
        media.extra = [("link", .string(link))]
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [media]))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        #expect(harness.imgur.requests("/media/").isEmpty)
        #expect(harness.imgur.server.requests.allSatisfy { $0.header("Authorization")?.hasPrefix("Basic") != true })
        let text = String(decoding: harness.data("q6i58/metadata_q6i58.json") ?? Data(), as: UTF8.self)
        #expect(harness.json("q6i58/metadata_q6i58.json")?["media"]?.arrayValue?.first?["status"] == "no_link")
        #expect(!text.contains("\"url\": \"http://user:secret@"), "the password is not kept as a media URL")
    }
}
