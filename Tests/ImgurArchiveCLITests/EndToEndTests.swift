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

/// Whole runs through the real URLSession client against the fake API on 127.0.0.1.
@Suite struct EndToEndTests {
    static func sampleMedia(_ prefix: String = "A") -> [FakeMedia] { FakeMedia.sampleAlbum(prefix) }

    @Test func archivesAnAlbumAndSkipsItOnTheNextRunWithoutRequests() async throws {
        let harness = try Harness()
        let media = Self.sampleMedia()
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "Wallpapers", description: "All of them", media: media))

        let first = await harness.run(["q6i58"])
        #expect(first.status == .success, "\(first.out)\n\(first.err)")
        for item in media {
            #expect(harness.data("q6i58/\(item.fileName)") == item.data)
        }
        #expect(harness.json("q6i58/script_q6i58.json") == ["1": "AAAAAAA", "2": "ABBBBBB", "3": "ACCCCCC"])
        #expect(
            harness.json("q6i58/descriptions_q6i58.json")
                == ["AAAAAAA": "first step", "ABBBBBB": nil, "ACCCCCC": "a video\nwith two lines"])
        let metadata = try #require(harness.json("q6i58/metadata_q6i58.json"))
        #expect(metadata["schema_version"] == 1)
        #expect(metadata["id"] == "q6i58")
        #expect(metadata["title"] == "Wallpapers")
        #expect(metadata["description"] == "All of them")
        #expect(metadata["published"] == "2017-07-14T02:40:00Z")
        #expect(metadata["media_count"] == 3)
        #expect(metadata["status"] == "complete")
        #expect(metadata["archived_at"] == "2026-09-21T14:13:20Z")
        let records = try #require(metadata["media"]?.arrayValue)
        for (record, item) in zip(records, media) {
            #expect(record["id"] == .string(item.id))
            #expect(record["file"] == .string(item.fileName))
            #expect(record["type"] == .string(item.contentType))
            #expect(record["bytes"] == .int(Int64(item.data.count)))
            #expect(record["sha256"] == .string(SHA256.hexDigest(of: item.data)))
        }
        // Every field the API returned is kept, 64-bit counts included.
        #expect(metadata["api"]?["views"] == .int(7_050_020_626_740))
        #expect(metadata["api"]?["privacy"] == "hidden")
        #expect(metadata["api"]?["images"]?.arrayValue?.count == 3)

        let catalog = try #require(harness.json("scraping_logs.json"))
        #expect(catalog.objectValue?.keys.sorted() == ["q6i58"])
        #expect(catalog["q6i58"]?["status"] == "complete")
        #expect(catalog["q6i58"]?["title"] == "Wallpapers")
        #expect(catalog["q6i58"]?["media_count"] == 3)
        #expect(catalog["q6i58"]?["published"] == "2017-07-14T02:40:00Z")
        #expect(catalog["q6i58"]?["archived_at"] == "2026-09-21T14:13:20Z")
        #expect(first.out.contains("archived         q6i58    3 files"))

        harness.imgur.server.resetLog()
        let second = await harness.run(["q6i58"])
        #expect(second.status == .success)
        #expect(harness.imgur.requestCount == 0)
        #expect(second.out.contains("already archived q6i58"))
    }

    @Test func onlyTheAPIHostSeesTheClientID() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        _ = await harness.run(["q6i58"])
        let api = harness.imgur.requests("/3/")
        #expect(api.count == 1, "one request per album")
        #expect(api.allSatisfy { $0.header("Authorization") == "Client-ID \(FakeImgur.clientID)" })
        let media = harness.imgur.requests("/media/")
        #expect(media.count == 3)
        #expect(media.allSatisfy { $0.header("Authorization") == nil && $0.header("Accept") == "*/*" })
    }

    @Test(arguments: [FakeImgur.WireStyle.escapedSlashesDataFirst, .plainStatusFirst])
    func bothWireStylesGiveTheSameArchive(style: FakeImgur.WireStyle) async throws {
        let reference = try Harness()
        let other = try Harness()
        for harness in [reference, other] {
            harness.imgur.add(
                FakeAlbum(id: "AbCdE12", title: "Café ☕️ / “quotes” \\ and 🎉", description: nil, media: Self.sampleMedia()))
        }
        other.imgur.setStyle(style)
        #expect(await reference.run(["AbCdE12"]).status == .success)
        #expect(await other.run(["AbCdE12"]).status == .success)
        #expect(reference.files() == other.files())
        for file in reference.files() where !file.hasSuffix(".lock") {
            #expect(normalisedPorts(reference.data(file), reference) == normalisedPorts(other.data(file), other), "\(file)")
        }
        #expect(other.json("AbCdE12/metadata_AbCdE12.json")?["title"] == "Café ☕️ / “quotes” \\ and 🎉")
    }

    @Test func theArchiveIsTheSameWhateverTheNumberOfJobs() async throws {
        let serial = try Harness()
        let parallel = try Harness()
        let ids = ["Album01", "Album02", "Album03", "Album04", "Album05", "Album06"]
        for harness in [serial, parallel] {
            for (index, id) in ids.enumerated() {
                harness.imgur.add(FakeAlbum(id: id, media: Self.sampleMedia("\(index)")))
            }
        }
        #expect(await serial.run(["--jobs", "1"] + ids).status == .success)
        #expect(await parallel.run(["--jobs", "8"] + ids).status == .success)
        #expect(serial.files() == parallel.files())
        for file in serial.files() where !file.hasSuffix(".lock") {
            #expect(normalisedPorts(serial.data(file), serial) == normalisedPorts(parallel.data(file), parallel), "\(file)")
        }
    }

    @Test func readsLinksTxtSkippingCommentsDuplicatesAndInvalidLines() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia("Q")))
        harness.imgur.add(FakeAlbum(id: "XyZ12ab", media: Self.sampleMedia("X")))
        try harness.write(
            """
            # my albums
            q6i58

              https://imgur.com/a/some-title-XyZ12ab   # with a slug
            not an id!
            https://imgur.com/gallery/q6i58
            """, to: "links.txt")
        let result = await harness.run([])
        #expect(result.status == .failure)
        #expect(result.err.contains("links.txt line 5: not a valid Imgur id (5 to 7 letters or digits): not an id!"))
        #expect(harness.json("scraping_logs.json")?.objectValue?.keys.sorted() == ["XyZ12ab", "q6i58"])
        #expect(harness.imgur.requests("/3/album/q6i58").count == 1, "the duplicate is archived once")
    }

    @Test func anInvalidArgumentIsAUsageErrorAndNothingIsRequested() async throws {
        let harness = try Harness()
        let result = await harness.run(["q6i58", "../etc"])
        #expect(result.status == .usage)
        #expect(result.err.hasPrefix("error: not an Imgur id or URL: ../etc"))
        #expect(harness.imgur.requestCount == 0)
        #expect(!FileManager.default.fileExists(atPath: harness.path("scraping_logs.json")))
    }

    @Test func aMissingAlbumIsRecordedUnavailableAndNotAskedForAgain() async throws {
        let harness = try Harness()
        let first = await harness.run(["Gone123"])
        #expect(first.status == .failure, "the run that finds it gone says so in its status")
        #expect(first.out.contains("unavailable      Gone123  album or image Gone123 not found on Imgur (HTTP 404)"))
        let entry = try #require(harness.json("scraping_logs.json")?["Gone123"])
        #expect(entry["status"] == "unavailable")
        #expect(entry["reason"] == "album or image Gone123 not found on Imgur (HTTP 404)")
        #expect(entry["not_found_as"] == "album or image")
        #expect(entry["checked_at"] == "2026-09-21T14:13:20Z")
        #expect(!FileManager.default.fileExists(atPath: harness.path("Gone123")))

        harness.imgur.server.resetLog()
        let second = await harness.run(["Gone123"])
        #expect(second.status == .success, "\(second.out)\(second.err)")
        #expect(second.out.contains("unavailable      Gone123  (recorded 2026-09-21T14:13:20Z; --refresh to ask again)\n"))
        #expect(!second.out.contains("already archived"))
        #expect(harness.imgur.requestCount == 0)

        // --refresh asks again; it is back now, and its entry is updated.
        harness.imgur.add(FakeAlbum(id: "Gone123", media: Self.sampleMedia()))
        #expect(await harness.run(["--refresh", "Gone123"]).status == .success)
        #expect(harness.json("scraping_logs.json")?["Gone123"]?["status"] == "complete")
        let lines = String(decoding: try #require(harness.data("scraping_logs.json")), as: UTF8.self)
        #expect(lines.components(separatedBy: "\"Gone123\":").count == 2, "the run compacts the updated entry")
    }

    @Test func anHTML404ForAnAlbumIsNotFound() async throws {
        let harness = try Harness()
        harness.imgur.inject(
            "/3/album/Html404",
            .html("<!DOCTYPE html><html><head><title>imgur: the simple 404 page</title></head></html>", status: 404))
        let result = await harness.run(["Html404"])
        #expect(result.status == .failure)
        #expect(harness.json("scraping_logs.json")?["Html404"]?["status"] == "unavailable")
    }

    @Test func htmlWhereJSONWasExpectedFailsTheAlbumWithoutWritingAnything() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        harness.imgur.inject("/3/album/q6i58", .html("<html><head><title>Sign in</title></head></html>", status: 200))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("failed           q6i58    expected JSON from Imgur but got text/html; charset=utf-8 (HTTP 200): Sign in"))
        #expect(harness.json("scraping_logs.json") == [:])
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58")))
    }

    /// Imgur's "over capacity" page, even with 200, is Imgur overloaded: temporary (75), retried.
    @Test func anOverCapacityPageIsTemporary() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        let page = ServerResponse.html(
            "<html><head><title>Imgur</title></head><body>Imgur is over capacity!</body></html>", status: 200)
        for _ in 0..<20 { harness.imgur.inject("/3/album/q6i58", page) }
        let result = await harness.run(["https://imgur.com/a/q6i58"])
        #expect(result.status == .temporary, "\(result.out)\(result.err)")
        #expect(result.out.contains("failed           q6i58    Imgur is over capacity (HTTP 200: Imgur)"))
        #expect(harness.imgur.requests("/3/album/q6i58").count > 1, "retried")
        #expect(harness.json("scraping_logs.json") == [:])
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58")))
    }

    @Test func anInvalidClientIDStopsTheRunWithAConfigurationError() async throws {
        let harness = try Harness()
        harness.environment["IMGUR_CLIENT_ID"] = "wrong"
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        let result = await harness.run(["q6i58", "XyZ12ab"])
        #expect(result.status == .configuration)
        #expect(result.err.contains("error: Imgur refused the client id (HTTP 403: Invalid client_id)"))
        #expect(!result.err.contains("wrong"), "the secret is never printed")
    }

    /// Since 2025 no client id can be had: without one, the public one imgur.com's pages send is used,
    /// said once on stderr (not under --quiet), with every rate-limit rule kept.
    @Test func withoutAClientIDThePublicOneIsUsedAndSaidOnce() async throws {
        let harness = try Harness()
        harness.environment["IMGUR_CLIENT_ID"] = nil
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        harness.imgur.add(FakeAlbum(id: "AbCdE", media: Self.sampleMedia("B")))
        let result = await harness.run(["q6i58", "AbCdE"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.err.components(separatedBy: "using the public client id").count == 2, "said once: \(result.err)")
        #expect(harness.imgur.requests("/3/").allSatisfy { $0.header("Authorization") == "Client-ID 546c25a59c58ad7" })
        let quiet = try Harness()
        quiet.environment["IMGUR_CLIENT_ID"] = nil
        quiet.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        let silent = await quiet.run(["--quiet", "q6i58"])
        #expect(silent.status == .success)
        #expect(silent.err.isEmpty && silent.out.isEmpty)
    }

    @Test func credentialsFromTheStorageDirectoryFileAreUsed() async throws {
        let harness = try Harness()
        harness.environment["IMGUR_CLIENT_ID"] = nil
        try harness.write("{\"client_id\": \"\(FakeImgur.clientID)\", \"client_secret\": \"x\"}", to: "api_secrets.json")
        chmod(harness.path("api_secrets.json"), 0o644)
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        #expect(result.err.contains("warning: \(harness.path("api_secrets.json")) is readable by other users (mode 644)"))
    }

    /// The item is refused and never becomes a path; the album's good media are kept, the refusal
    /// recorded, and the run says so with exit 1.
    @Test(arguments: ["../../../tmp/evil", "a/b/c", "..", "AbC.jpg", ""])
    func mediaIdsFromTheAPIThatTryPathsAreRefused(badID: String) async throws {
        let harness = try Harness()
        var evil = FakeMedia(id: "EvilAAA", ext: "jpg")
        evil.extra = [("id", .string(badID))]
        let good = FakeMedia(id: "GoodAAA")
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [good, evil]))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure)
        #expect(result.err.contains("error: q6i58: 1 item of Imgur's answer could not be kept (no valid media id)"))
        #expect(harness.files().allSatisfy { !$0.contains("evil") && !$0.contains("..") })
        #expect(harness.data("q6i58/GoodAAA.jpg") == good.data)
        let refused = try #require(harness.json("q6i58/metadata_q6i58.json")?["refused"]?.arrayValue)
        #expect(refused.count == 1)
        #expect(refused.first?["index"] == 2)
        #expect(refused.first?["reason"]?.stringValue?.hasPrefix("malformed answer from Imgur: media id") == true)
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["refused"] == 1)
    }

    @Test func anAlbumIDFromTheAPIThatIsNotAnIDIsRefused() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia(), extra: [("id", .string("../q6i58"))]))
        let result = await harness.run(["q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("malformed answer from Imgur: album id \"../q6i58\" is not an Imgur id"))
    }

    @Test func aTornCatalogTailIsRepairedAndTheRunCarriesOn() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia("Q")))
        harness.imgur.add(FakeAlbum(id: "XyZ12ab", media: Self.sampleMedia("X")))
        #expect(await harness.run(["q6i58"]).status == .success)
        // A crash in the middle of appending the next entry.
        let good = try #require(harness.data("scraping_logs.json"))
        try (good.dropLast(3) + Data(",\n\"XyZ12ab\": {\"id\":\"Xy".utf8)).write(
            to: URL(fileURLWithPath: harness.path("scraping_logs.json")))
        let result = await harness.run(["q6i58", "XyZ12ab"])
        #expect(result.status == .success, "\(result.err)")
        #expect(result.err.contains("warning: repaired a torn end of"))
        let catalog = try #require(harness.json("scraping_logs.json"))
        #expect(catalog.objectValue?.keys.sorted() == ["XyZ12ab", "q6i58"])
    }

    @Test func anInvalidCatalogStopsTheRunAndIsLeftUntouched() async throws {
        let harness = try Harness()
        let broken = "{\n\"q6i58\": {\"id\":\"q6i58\"},\nthis is not json\n\"XyZ12ab\": {\"id\":\"XyZ12ab\"}\n}\n"
        try harness.write(broken, to: "scraping_logs.json")
        let result = await harness.run(["q6i58"])
        #expect(result.status == .configuration)
        #expect(result.err.contains("scraping_logs.json line 3: not a complete catalog entry"))
        #expect(harness.data("scraping_logs.json") == Data(broken.utf8))
        #expect(harness.imgur.requestCount == 0)
    }

    @Test func aCompleteFolderMissingFromTheCatalogIsRecoveredWithoutNetwork() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: Self.sampleMedia()))
        #expect(await harness.run(["q6i58"]).status == .success)
        // A crash after the folder was finished but before its catalog line was written.
        try harness.write("{\n}\n", to: "scraping_logs.json")
        harness.imgur.server.resetLog()
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success)
        #expect(harness.imgur.requestCount == 0)
        #expect(result.out.contains("already archived q6i58    (folder complete; added to the catalog)"))
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
    }

    /// A folder a crash kept out of the catalog is added back in input order, not ahead of the
    /// albums before it: the catalog after a kill is the catalog of an uninterrupted run.
    @Test func aRecoveredFolderIsCatalogedInInputOrder() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "AAAAAAA", media: Self.sampleMedia("A")))
        harness.imgur.add(FakeAlbum(id: "BBBBBBB", media: Self.sampleMedia("B")))
        #expect(await harness.run(["BBBBBBB"]).status == .success)
        try harness.write("{\n}\n", to: "scraping_logs.json")  // B finished, its line lost
        let result = await harness.run(["AAAAAAA", "BBBBBBB"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        let text = String(decoding: try #require(harness.data("scraping_logs.json")), as: UTF8.self)
        let keys = text.split(separator: "\n").compactMap { $0.hasPrefix("\"") ? $0.prefix(9) : nil }
        #expect(keys == ["\"AAAAAAA\"", "\"BBBBBBB\""])
        #expect(result.out.hasPrefix("archived         AAAAAAA"), "and the lines in that order: \(result.out)")
        #expect(result.out.contains("\nalready archived BBBBBBB  (folder complete; added to the catalog)\n"))
    }

    /// A resume hint a kill left beside a finished file is litter: verify says so, the next run removes it.
    @Test func anOrphanResumeHintIsALeftoverTheNextRunRemoves() async throws {
        let harness = try Harness()
        let media = Self.sampleMedia()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        #expect(await harness.run(["q6i58"]).status == .success)
        try harness.write("{}", to: "q6i58/.\(media[0].fileName).part.json")
        let verify = await harness.run(["verify"])
        #expect(verify.status == .success)
        #expect(verify.out.contains("1 leftover temporary file (the next run removes it)"))
        #expect(await harness.run(["--refresh", "q6i58"]).status == .success)
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/.\(media[0].fileName).part.json")))
    }

    @Test func aStorageDirectoryThatDoesNotExistIsAConfigurationError() async throws {
        let harness = try Harness()
        let result = await harness.run(["--dir", "nope", "q6i58"])
        #expect(result.status == .configuration)
        #expect(result.err.contains("storage directory \(harness.directory)/nope: does not exist"))
    }

    @Test func noArgumentsAndNoLinksFileIsAUsageError() async throws {
        let harness = try Harness()
        let result = await harness.run([])
        #expect(result.status == .usage)
        #expect(result.err.contains("nothing to archive: give album ids or URLs, or list them in"))
    }

    @Test func anAnimatedGIFOver20MBIsKeptAsItsMP4() async throws {
        let harness = try Harness()
        let video = FakeMedia(id: "BigGifA", ext: "mp4", size: 40_000)
        var gif = FakeMedia(id: "BigGifA", ext: "gif", size: 5_000, animated: true, apiSize: 25_000_000)
        gif.mp4File = video.fileName
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [gif]))
        harness.imgur.add(media: video, listed: false)
        let result = await harness.run(["q6i58"])
        #expect(result.status == .success, "\(result.out)")
        #expect(harness.data("q6i58/BigGifA.mp4") == video.data)
        #expect(harness.data("q6i58/BigGifA.gif") == nil)
    }

    @Test(arguments: [AnimatedFormat.gif, .mp4])
    func animatedMediaFollowTheChosenFormat(format: AnimatedFormat) async throws {
        let harness = try Harness()
        let video = FakeMedia(id: "SmallGf", ext: "mp4", size: 4_000)
        var gif = FakeMedia(id: "SmallGf", ext: "gif", size: 9_000, animated: true)
        gif.mp4File = video.fileName
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [gif]))
        harness.imgur.add(media: video, listed: false)
        #expect(await harness.run(["--animated", format.rawValue, "q6i58"]).status == .success)
        #expect(harness.data("q6i58/SmallGf.\(format.rawValue)") == (format == .gif ? gif.data : video.data))
    }

    /// `--refresh` after Imgur deleted an album: the archive is what is left of it, so neither the
    /// folder nor its catalog entry changes, and the run still succeeds.
    @Test func refreshingAnAlbumImgurDeletedKeepsTheArchivedCopy() async throws {
        let harness = try Harness()
        let media = Self.sampleMedia()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        #expect(await harness.run(["q6i58"]).status == .success)
        let metadata = harness.data("q6i58/metadata_q6i58.json")
        harness.imgur.remove(album: "q6i58")
        let result = await harness.run(["--refresh", "q6i58"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.out.contains("unavailable      q6i58    album or image q6i58 not found on Imgur"))
        #expect(result.out.contains("the archived copy is kept"))
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
        #expect(harness.data("q6i58/metadata_q6i58.json") == metadata)
        for item in media { #expect(harness.data("q6i58/\(item.fileName)") == item.data) }
    }
}

/// Media URLs in the documents name the fake server's port, which differs per harness.
func normalisedPorts(_ data: Data?, _ harness: Harness) -> Data? {
    guard let data else { return nil }
    let port = ":\(harness.imgur.server.port)"
    guard let text = String(data: data, encoding: .utf8), text.contains(port) else { return data }
    return Data(text.replacingOccurrences(of: port, with: ":PORT").utf8)
}
