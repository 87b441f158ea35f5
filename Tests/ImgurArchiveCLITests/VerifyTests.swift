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

/// `imgur-archive verify`: offline checks of an archive, and `--repair`.
@Suite struct VerifyTests {
    /// Two albums and a single image, archived for real.
    static func archive() async throws -> (Harness, [FakeMedia]) {
        let harness = try Harness()
        let media = EndToEndTests.sampleMedia()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        harness.imgur.add(FakeAlbum(id: "XyZ12ab", media: EndToEndTests.sampleMedia("X")))
        harness.imgur.add(media: FakeMedia(id: "ImgOne1", ext: "png", size: 7_000))
        let result = await harness.run(["q6i58", "XyZ12ab", "https://imgur.com/ImgOne1"])
        #expect(result.status == .success, "\(result.out)")
        return (harness, media)
    }

    @Test func aCleanArchiveVerifies() async throws {
        let (harness, _) = try await Self.archive()
        harness.imgur.server.resetLog()
        let result = await harness.run(["verify"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.out.contains("ok               q6i58    3 files verified"))
        #expect(result.out.contains("ok               ImgOne1  1 file verified"))
        #expect(result.out.contains("verify: 3 albums intact; 7 files, "))
        #expect(harness.imgur.requestCount == 0, "verify works offline")
    }

    @Test func aFlippedByteIsFound() async throws {
        let (harness, media) = try await Self.archive()
        var bytes = [UInt8](media[0].data)
        bytes[1234] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: harness.path("q6i58/\(media[0].fileName)")))
        let result = await harness.run(["verify"])
        #expect(result.status == .failure)
        #expect(result.out.contains("damaged          q6i58    \(media[0].fileName) does not match its SHA-256"))
        #expect(result.out.contains("ok               XyZ12ab"))
        #expect(result.out.contains("verify: 2 albums intact, 1 with problems"))
    }

    @Test func aDeletedFileAndAnExtraFileAreFound() async throws {
        let (harness, media) = try await Self.archive()
        try FileManager.default.removeItem(atPath: harness.path("q6i58/\(media[1].fileName)"))
        try harness.write("notes", to: "q6i58/notes.txt")
        let result = await harness.run(["verify", "q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("\(media[1].fileName) is missing"))
        #expect(result.out.contains("notes.txt belongs to nothing"))
        #expect(!result.out.contains("XyZ12ab"), "only the albums asked for")
    }

    @Test func aTruncatedFileAndABrokenDocumentAreFound() async throws {
        let (harness, media) = try await Self.archive()
        try media[2].data.prefix(100).write(to: URL(fileURLWithPath: harness.path("q6i58/\(media[2].fileName)")))
        try harness.write("{\"1\": \"AAAAAAA\"", to: "q6i58/script_q6i58.json")
        let result = await harness.run(["verify", "q6i58"])
        #expect(result.status == .failure)
        #expect(result.out.contains("\(media[2].fileName) has 100 bytes, not \(media[2].data.count)"))
        #expect(result.out.contains("script_q6i58.json: not valid JSON"))
    }

    @Test func aCatalogedAlbumWithoutItsFolderIsFound() async throws {
        let (harness, _) = try await Self.archive()
        try FileManager.default.removeItem(atPath: harness.path("XyZ12ab"))
        let result = await harness.run(["verify"])
        #expect(result.status == .failure)
        #expect(result.out.contains("damaged          XyZ12ab  listed in the catalog, but its folder is missing"))
    }

    @Test func repairRestoresAFlippedByteAndAMissingFile() async throws {
        let (harness, media) = try await Self.archive()
        var bytes = [UInt8](media[0].data)
        bytes[10] ^= 0xFF
        let flipped = harness.path("q6i58/\(media[0].fileName)")
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        try FileManager.default.removeItem(atPath: harness.path("q6i58/\(media[1].fileName)"))
        harness.now = Date(timeIntervalSince1970: 1_790_000_600)
        harness.imgur.server.resetLog()

        let result = await harness.run(["verify", "--repair"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.data("q6i58/\(media[0].fileName)") == media[0].data)
        #expect(harness.data("q6i58/\(media[1].fileName)") == media[1].data)
        // Kept outside the album folder, named with the time in ISO 8601 UTC, and the output says where.
        #expect(harness.data("quarantine/q6i58/\(media[0].fileName).damaged-20260921T142320Z") == Data(bytes), "the damaged copy is kept")
        #expect(result.out.contains("repaired         q6i58    after repair: 3 files verified"))
        #expect(result.err.contains("moved the damaged \(media[0].fileName) aside to quarantine/q6i58/\(media[0].fileName).damaged-20260921T142320Z"))
        #expect(harness.imgur.requests("/media/").map(\.path).sorted()
            == ["/media/\(media[0].fileName)", "/media/\(media[1].fileName)"])

        // Verified clean afterwards, the kept copy included.
        #expect(await harness.run(["verify"]).status == .success)
    }

    @Test func repairDoesNotDeleteFilesThatBelongToNothing() async throws {
        let (harness, _) = try await Self.archive()
        try harness.write("mine", to: "q6i58/notes.txt")
        let result = await harness.run(["verify", "--repair"])
        #expect(result.status == .failure)
        #expect(harness.data("q6i58/notes.txt") == Data("mine".utf8))
        #expect(harness.imgur.requests("/media/").count == 7, "nothing fetched again beyond the first run")
    }

    /// The folder is gone, so only the catalog still says this was a single image.
    @Test func repairFetchesADeletedImageFolderAsAnImage() async throws {
        let (harness, _) = try await Self.archive()
        let original = try #require(harness.data("ImgOne1/ImgOne1.png"))
        try FileManager.default.removeItem(atPath: harness.path("ImgOne1"))
        harness.imgur.server.resetLog()
        let result = await harness.run(["verify", "--repair"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.imgur.requests("/3/").map(\.path) == ["/3/image/ImgOne1"])
        #expect(harness.data("ImgOne1/ImgOne1.png") == original)
        #expect(harness.json("scraping_logs.json")?["ImgOne1"]?["kind"] == "image")
    }

    /// Imgur deleted the album since: the repair cannot fetch it, and the archive keeps what it has
    /// (the damaged copy aside, the catalog entry as it was) rather than calling it unavailable.
    @Test func repairOfAnAlbumImgurDeletedKeepsItsEntry() async throws {
        let (harness, media) = try await Self.archive()
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: harness.path("q6i58/\(media[0].fileName)")))
        harness.imgur.remove(album: "q6i58")
        let result = await harness.run(["verify", "--repair"])
        #expect(result.status == .failure, "still damaged: \(result.out)")
        #expect(result.out.contains("the archived copy is kept"))
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
        #expect(try Directory.open(harness.path("quarantine/q6i58")).names().contains { $0.hasPrefix("\(media[0].fileName).damaged-") })
    }

    /// An album that keeps a GIF as its MP4 gets the MP4 again, not the GIF.
    @Test func repairFetchesTheFormatTheAlbumKeeps() async throws {
        let harness = try Harness()
        let video = FakeMedia(id: "AnimGif", ext: "mp4", size: 30_000)
        var gif = FakeMedia(id: "AnimGif", ext: "gif", size: 60_000, animated: true)
        gif.mp4File = video.fileName
        harness.imgur.add(media: video, listed: false)
        harness.imgur.add(FakeAlbum(id: "GifAlbm", media: [gif]))
        #expect(await harness.run(["--animated", "mp4", "GifAlbm"]).status == .success)
        try FileManager.default.removeItem(atPath: harness.path("GifAlbm/AnimGif.mp4"))
        let result = await harness.run(["verify", "--repair"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.data("GifAlbm/AnimGif.mp4") == video.data)
        #expect(!FileManager.default.fileExists(atPath: harness.path("GifAlbm/AnimGif.gif")))
    }

    @Test func anInvalidIDIsAUsageError() async throws {
        let harness = try Harness()
        let result = await harness.run(["verify", "../x"])
        #expect(result.status == .usage)
    }

    // MARK: Saying what is true outside the archive (issue 11, items 5, 6 and 8)

    @Test func anIDThatWasNeverArchivedIsNotInTheArchiveAndRepairAddsNothing() async throws {
        let (harness, _) = try await Self.archive()
        let catalog = harness.data("scraping_logs.json")
        harness.imgur.server.resetLog()
        let result = await harness.run(["verify", "NoSuch1"])
        #expect(result.status == .failure)
        #expect(result.out == """
            not archived     NoSuch1  not in the archive: neither in the catalog nor in a folder
            verify: 0 albums intact, 1 not in the archive; 0 files, 0 B checked in \(Self.anyDuration(result.out))

            """)
        let repair = await harness.run(["verify", "--repair", "NoSuch1"])
        #expect(repair.status == .failure)
        #expect(harness.data("scraping_logs.json") == catalog, "--repair changes nothing it was not asked to mend")
        #expect(harness.imgur.requestCount == 0)
        #expect(!FileManager.default.fileExists(atPath: harness.path("NoSuch1")))
    }

    @Test func verifyTakesURLsLikeTheArchiver() async throws {
        let (harness, _) = try await Self.archive()
        let result = await harness.run(["verify", "https://imgur.com/a/some-title-q6i58", "https://i.imgur.com/ImgOne1.png"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.out.hasPrefix("ok               q6i58    3 files verified\nok               ImgOne1  1 file verified\n"))
        let account = await harness.run(["verify", "https://imgur.com/user/someone"])
        #expect(account.status == .usage)
        #expect(account.err.hasPrefix("error: verify checks albums and images, not accounts: https://imgur.com/user/someone\n"))
    }

    @Test func aDirectoryThatIsNotAnArchiveIsRefused() async throws {
        let harness = try Harness()
        let result = await harness.run(["verify"])
        #expect(result.status == .configuration)
        #expect(result.err.hasPrefix("error: \(harness.directory) is not an imgur-archive storage directory"))
        #expect(harness.files().isEmpty, "nothing written")
    }

    /// A run stopped before an album's documents leaves a folder with partial files: incomplete,
    /// to be finished by the next run (75), never "damaged".
    @Test func anInterruptedAlbumIsIncompleteNotDamaged() async throws {
        let (harness, _) = try await Self.archive()
        try FileManager.default.createDirectory(atPath: harness.path("BigFile"), withIntermediateDirectories: true)
        try harness.write("half of a file", to: "BigFile/.BigFile.jpg.part")
        try harness.write("{}", to: "BigFile/.BigFile.jpg.part.json")
        try harness.write("a finished one", to: "BigFile/Small01.jpg")
        let result = await harness.run(["verify"])
        #expect(result.status == .temporary, "\(result.out)\(result.err)")
        #expect(result.out.hasPrefix(
            "incomplete       BigFile  an interrupted download (1 file so far); run imgur-archive to finish it\n"))
        #expect(result.out.contains("verify: 3 albums intact, 1 incomplete (run imgur-archive to finish); "))
    }

    /// Lines come in the order of the ids, whatever order the checks finish in.
    @Test func linesComeInAStableOrder() async throws {
        let (harness, _) = try await Self.archive()
        let lines = await harness.run(["verify", "-j", "3"]).out.split(separator: "\n").dropLast().map { $0.split(separator: " ")[1] }
        #expect(lines == ["ImgOne1", "XyZ12ab", "q6i58"])
    }

    /// A snapshot or a read-only backup mount can be verified: reading takes no write.
    @Test(.enabled(if: TinyFilesystem.available, "needs permission to mount a tmpfs"))
    func aReadOnlyArchiveVerifies() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: EndToEndTests.sampleMedia()))
        let disk = try TinyFilesystem(bytes: 4 * 1_024 * 1_024)
        defer { disk.unmount() }
        #expect(await harness.run(["--dir", disk.path, "q6i58"]).status == .success)
        try disk.remountReadOnly()
        let result = await harness.run(["--dir", disk.path, "verify"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.out.contains("ok               q6i58    3 files verified"))
        let repair = await harness.run(["--dir", disk.path, "verify", "--repair"])
        #expect(repair.status == .success, "nothing to repair, so nothing to write: \(repair.err)")
    }

    /// The duration at the end of a summary line (it depends on the machine).
    static func anyDuration(_ text: String) -> String {
        String(text.split(separator: "\n").last?.split(separator: " ").last ?? "")
    }
}
