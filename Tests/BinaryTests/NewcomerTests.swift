import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurArchiveCLI

/// A newcomer's first hour (issue 11), shown from outside: the built binary's output and status.
@Suite struct NewcomerTests {
    /// A bare id is asked for as an album, then as an image; an entry recorded for one kind never
    /// blocks another; an unavailable entry is never "already archived".
    @Test func aBareImageIDIsArchivedAsTheImageItIs() async throws {
        let harness = try ArchiveFixture()
        let image = FakeMedia(id: "Single1", ext: "jpg", size: 5_000)
        harness.imgur.add(media: image)
        let first = try await BinaryRunner.run(["Single1"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(first.status == 0, "\(first.out)\(first.err)")
        #expect(first.out.contains("archived         Single1  1 file, 5.0 kB"))
        #expect(harness.data("Single1/Single1.jpg") == image.data)
        #expect(harness.json("scraping_logs.json")?["Single1"]?["kind"] == "image")

        let again = try await BinaryRunner.run(
            ["https://i.imgur.com/Single1.jpg"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(again.status == 0)
        #expect(again.out.hasPrefix("already archived Single1"))
    }

    /// What an older version recorded for a bare image id (an unavailable album) does not stop the
    /// image from being archived.
    @Test func anEntryUnavailableAsAnAlbumDoesNotBlockTheImage() async throws {
        let harness = try ArchiveFixture()
        let image = FakeMedia(id: "Single1", ext: "jpg", size: 5_000)
        harness.imgur.add(media: image)
        try harness.write(
            "{\n\"Single1\": {\"id\": \"Single1\", \"status\": \"unavailable\", \"kind\": \"album\", "
                + "\"checked_at\": \"2026-11-30T10:00:00Z\", \"reason\": \"album Single1 not found on Imgur (HTTP 404)\"}\n}\n",
            to: "scraping_logs.json")
        let result = try await BinaryRunner.run(
            ["https://i.imgur.com/Single1.jpg"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("archived         Single1  1 file"))
        #expect(harness.data("Single1/Single1.jpg") == image.data)
    }

    /// The run that finds an album gone exits 1 and says so, under --quiet too; later runs skip it
    /// as recorded (saying when) and exit 0.
    @Test func anUnavailableAlbumExits1OnceAndIsSaidUnderQuiet() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "MixAll7", media: FakeMedia.sampleAlbum()))
        var environment = harness.baseEnvironment
        environment["SOURCE_DATE_EPOCH"] = "1764496800"  // 2025-11-30T10:00:00Z
        let first = try await BinaryRunner.run(["-q", "Gone404", "MixAll7"], environment: environment, directory: harness.directory)
        #expect(first.status == 1)
        #expect(first.out.isEmpty, "under --quiet everything printed is trouble, on stderr")
        #expect(first.err.contains("\ndone: 1 archived, 1 unavailable; 3 files, "), "a run with trouble sums up")
        #expect(first.err.hasPrefix("unavailable: Gone404: album or image Gone404 not found on Imgur (HTTP 404)\n"), "\(first.err)")

        let second = try await BinaryRunner.run(["Gone404", "MixAll7"], environment: environment, directory: harness.directory)
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(second.out.hasPrefix(
            "unavailable      Gone404  (recorded 2025-11-30T10:00:00Z; --refresh to ask again)\nalready archived MixAll7\n"))
        let quiet = try await BinaryRunner.run(["-q", "Gone404"], environment: environment, directory: harness.directory)
        #expect(quiet.status == 0)
        #expect(quiet.out.isEmpty && quiet.err.isEmpty)
    }

    // MARK: Help and options (item 11)

    @Test func everyCommandHasItsOwnHelp() async throws {
        for command in ["user", "verify", "html"] {
            let viaFlag = try await BinaryRunner.run([command, "--help"], environment: [:], directory: "/")
            let viaHelp = try await BinaryRunner.run(["help", command], environment: [:], directory: "/")
            #expect(viaFlag.status == 0 && viaHelp.status == 0)
            #expect(viaFlag.out == viaHelp.out)
            #expect(viaFlag.out.contains("USAGE: imgur-archive \(command) [<options>]"), "\(viaFlag.out)")
            #expect(!viaFlag.out.contains("COMMANDS:"), "not the overview")
        }
        let verify = try await BinaryRunner.run(["help", "verify"], environment: [:], directory: "/")
        #expect(verify.out.contains("--repair"))
        #expect(!verify.out.contains("--animated"), "only the options that apply")
        let overview = try await BinaryRunner.run(["help"], environment: [:], directory: "/")
        #expect(overview.out.contains("COMMANDS:"))
    }

    @Test(arguments: [
        (["-qv"], "error: '--quiet' and '--verbose' cannot be combined\nSee 'imgur-archive --help'.\n"),
        (["verify", "--animated", "mp4"], "error: '--animated' does not apply to 'verify'\nSee 'imgur-archive verify --help'.\n"),
        (["help", "nope"], "error: no command 'nope'; the commands are user, verify, html, merge, upload, jobs, uploads, delete, login, logout, serve, restore, sync, help\nSee 'imgur-archive help --help'.\n"),
        (["user", "https://imgur.com/user/bob/favorites"],
         "error: the favorites page of user bob is not archived (only an account's own posts and albums: "
            + "imgur.com/user/bob); give the URL of each post instead\nSee 'imgur-archive user --help'.\n"),
    ])
    func usageErrorsStartLikeEveryErrorAndPointToTheHelp(arguments: [String], message: String) async throws {
        let result = try await BinaryRunner.run(arguments, environment: [:], directory: "/")
        #expect(result.status == 64)
        #expect(result.err == message)
        #expect(result.out.isEmpty)
    }

    @Test func userTakesTheAccountURLAsTheArgumentForm() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        harness.imgur.add(FakeAccount(name: "bob", albums: ["q6i58"]))
        let result = try await BinaryRunner.run(
            ["-j4", "user", "https://imgur.com/user/bob"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("archived         q6i58"))
    }

    // MARK: What gallery-dl and yt-dlp users reach for (item 12)

    @Test func inputFilesAndStdinAreReadInsteadOfLinksTxt() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        harness.imgur.add(FakeAlbum(id: "XyZ12ab", media: FakeMedia.sampleAlbum("X")))
        try harness.write("NotThis\n", to: "links.txt")
        try harness.write("# mine\nhttps://imgur.com/a/q6i58\nnot an id!\n", to: "mine.txt")
        let fromFile = try await BinaryRunner.run(
            ["-i", "mine.txt"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(fromFile.status == 1, "the invalid line is reported: \(fromFile.err)")
        #expect(fromFile.err.contains("error: mine.txt line 3: not a valid Imgur id (5 to 7 letters or digits): not an id!\n"))
        #expect(fromFile.out.contains("archived         q6i58"))
        #expect(!fromFile.out.contains("NotThis"))

        let fromStdin = try await BinaryRunner.run(
            ["-c", "printf 'XyZ12ab\\n' | exec \"$0\" --input-file -", BinaryRunner.executable],
            environment: harness.baseEnvironment.merging(["PATH": "/usr/bin:/bin"]) { $1 },
            directory: harness.directory, launcher: "/bin/bash")
        #expect(fromStdin.status == 0, "\(fromStdin.out)\(fromStdin.err)")
        #expect(fromStdin.out.contains("archived         XyZ12ab"))

        let missing = try await BinaryRunner.run(["-i", "nope.txt"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(missing.status == 64)
        #expect(missing.err.hasPrefix("error: no such input file: nope.txt\n"))
    }

    @Test func aDryRunSaysWhatWouldBeArchivedAndAsksAndWritesNothing() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        var environment = harness.baseEnvironment
        environment["SOURCE_DATE_EPOCH"] = "1790000000"  // 2026-09-21T14:13:20Z
        #expect(try await BinaryRunner.run(["q6i58", "Gone404"], environment: environment, directory: harness.directory).status == 1)
        let before = harness.files().map { ($0, harness.data($0)) }
        harness.imgur.server.resetLog()
        let result = try await BinaryRunner.run(
            ["--dry-run", "q6i58", "Gone404", "https://imgur.com/a/NewOne7", "https://imgur.com/user/bob"],
            environment: harness.baseEnvironment, directory: harness.directory)
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.hasPrefix("""
            already archived q6i58
            unavailable      Gone404  (recorded 2026-09-21T14:13:20Z; --refresh to ask again)
            would archive    NewOne7  album NewOne7
            account          bob  would be walked: its listings are only asked of Imgur by a real run
            dry run: 1 to archive, 1 already archived, 1 unavailable, 1 account to walk; nothing was asked of Imgur or written

            """), "\(result.out)")
        #expect(harness.imgur.requestCount == 0)
        #expect(harness.files().map { ($0, harness.data($0)) }.elementsEqual(before) { $0 == $1 })
    }

    /// `--limit-rate` holds the whole run under the rate: 600 kB at 200 KiB/s cannot take less than
    /// about 2.7 s (the bucket lets a quarter second's worth through at once). Only a lower bound
    /// is asserted: a slow machine makes the run longer, never shorter.
    @Test func limitRateHoldsTheWholeRunUnderTheRate() async throws {
        let harness = try ArchiveFixture()
        let media = (0..<3).map { FakeMedia(id: "Rate00\($0)", size: 200_000) }
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        let start = ContinuousClock.now
        let result = try await BinaryRunner.run(
            ["--limit-rate", "200k", "-j", "3", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        let elapsed = seconds(since: start)
        #expect(result.status == 0, "\(result.out)\(result.err)")
        for item in media { #expect(harness.data("q6i58/\(item.fileName)") == item.data) }
        #expect(elapsed >= 2.5, "600 kB at 200 KiB/s took \(elapsed) s")
    }

    @Test func theConfigFileSetsDefaultsAndTheCommandLineWins() async throws {
        let harness = try ArchiveFixture()
        let video = FakeMedia(id: "SmallGf", ext: "mp4", size: 4_000)
        var gif = FakeMedia(id: "SmallGf", ext: "gif", size: 9_000, animated: true)
        gif.mp4File = video.fileName
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [gif]))
        harness.imgur.add(FakeAlbum(id: "AbCdE", media: [gif]))
        harness.imgur.add(media: video, listed: false)
        try FileManager.default.createDirectory(atPath: harness.path("config/imgur-archive"), withIntermediateDirectories: true)
        try harness.write("# defaults\n--animated mp4\n--repair   # only verify's: skipped when archiving\n", to: "config/imgur-archive/config")
        var environment = harness.baseEnvironment
        environment["XDG_CONFIG_HOME"] = harness.path("config")
        let configured = try await BinaryRunner.run(["q6i58"], environment: environment, directory: harness.directory)
        #expect(configured.status == 0, "\(configured.err)")
        #expect(harness.data("q6i58/SmallGf.mp4") == video.data)
        let overridden = try await BinaryRunner.run(["--animated", "gif", "AbCdE"], environment: environment, directory: harness.directory)
        #expect(overridden.status == 0)
        #expect(harness.data("AbCdE/SmallGf.gif") == gif.data)
        let ignored = try await BinaryRunner.run(["--no-config", "--dry-run", "AbCdE"], environment: environment, directory: harness.directory)
        #expect(ignored.status == 0)

        try harness.write("--jobs many\n", to: "config/imgur-archive/config")
        let broken = try await BinaryRunner.run(["q6i58"], environment: environment, directory: harness.directory)
        #expect(broken.status == 78)
        #expect(broken.err == "error: $XDG_CONFIG_HOME/imgur-archive/config: '--jobs' takes a number from 1 to 64, not 'many'\n")
    }

    /// libcurl honours the usual proxy variables: with `http_proxy` set, every request (API and
    /// media) goes to the proxy, in the absolute form only a proxy receives.
    @Test func theProxyVariablesAreHonoured() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        var environment = harness.baseEnvironment
        environment["http_proxy"] = harness.imgur.apiBase
        environment["IMGUR_API_BASE"] = "http://127.0.0.1:1"  // nothing listens there: only the proxy can answer
        let result = try await BinaryRunner.run(["https://imgur.com/a/q6i58"], environment: environment, directory: harness.directory)
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(harness.imgur.requests("/3/album/q6i58").first?.target.hasPrefix("http://127.0.0.1:1/3/album/q6i58") == true)
        // The media transport (libcurl directly) goes through the proxy too: each media request came
        // in the absolute form.
        let media = harness.imgur.requests("/media/")
        #expect(media.count == FakeMedia.sampleAlbum().count)
        #expect(media.allSatisfy { $0.target.hasPrefix("http://") }, "\(media.map(\.target))")
    }

    // MARK: Smaller things (items 10 and 14)

    /// One media id that fails the id check costs only itself: the other 8 are kept, the refused
    /// one recorded (and why), exit 1.
    @Test func oneBadMediaIDCostsOnlyItself() async throws {
        let harness = try ArchiveFixture()
        var media = (1...9).map { FakeMedia(id: "Good00\($0)", size: 2_000) }
        media[4].extra = [("id", .string("bad/../id"))]
        harness.imgur.add(FakeAlbum(id: "NineImg", media: media))
        let result = try await BinaryRunner.run(["NineImg"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(result.status == 1)
        #expect(result.err.contains("error: NineImg: 1 item of Imgur's answer could not be kept (no valid media id)"))
        #expect(result.out.contains("archived         NineImg  8 files"))
        for (index, item) in media.enumerated() where index != 4 { #expect(harness.data("NineImg/\(item.fileName)") == item.data) }
        let refused = try #require(harness.json("NineImg/metadata_NineImg.json")?["refused"]?.arrayValue)
        #expect(refused.count == 1)
        #expect(refused.first?["index"] == 5)
        #expect(harness.json("scraping_logs.json")?["NineImg"]?["refused"] == 1)
    }

    /// Nothing is written outside the storage directory: no URLCache, no ~/.local/share.
    @Test func nothingIsWrittenUnderHome() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        let home = try makeTemporaryDirectory("home")
        defer { try? FileManager.default.removeItem(atPath: home) }
        var environment = harness.baseEnvironment
        environment["HOME"] = home
        environment["XDG_CACHE_HOME"] = nil
        let result = try await BinaryRunner.run(["q6i58"], environment: environment, directory: harness.directory)
        #expect(result.status == 0, "\(result.err)")
        #expect(try await BinaryRunner.run(["verify"], environment: environment, directory: harness.directory).status == 0)
        #expect(filesBelow(home) == [], "\(filesBelow(home))")
    }
}
