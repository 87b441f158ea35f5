import Foundation
import ImgurAPI
import TestSupport
import Testing

@testable import ImgurArchive

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
        #expect(result.out.contains("ok               ImgOne1  1 files verified"))
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
        #expect(result.out.contains("verify: 2 intact, 1 with problems"))
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
        #expect(harness.data("q6i58/\(media[0].fileName).damaged-1790000600") == Data(bytes), "the damaged copy is kept")
        #expect(result.out.contains("repaired         q6i58    after repair: 3 files verified"))
        #expect(result.err.contains("moved the damaged \(media[0].fileName) aside"))
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

    @Test func anInvalidIDIsAUsageError() async throws {
        let harness = try Harness()
        let result = await harness.run(["verify", "../x"])
        #expect(result.status == .usage)
    }
}
