import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import Uploader

/// `restore` through the built binary: an album archived from the fake Imgur, deleted there, and
/// put back through the fake's write side, then compared with what the server holds.
@Suite struct RestoreTests {
    /// An album of five: a still with a title and description, one Imgur had removed (its
    /// placeholder is served), an animated GIF kept as MP4, a video, and a still without texts;
    /// secret, with its cover on the video. Archived with `--animated mp4`, then gone from Imgur.
    static func archived(_ harness: ArchiveFixture, environment: [String: String]? = nil) async throws -> [FakeMedia] {
        let mp4Twin = FakeMedia(id: "AnimGf1", ext: "mp4", size: 6_000)
        var gif = FakeMedia(id: "AnimGf1", ext: "gif", size: 9_000, title: "moving", animated: true)
        gif.mp4File = mp4Twin.fileName
        let media = [
            FakeMedia(id: "First01", ext: "jpg", size: 7_000, title: "step one", description: "cut the wood\nthen sand it"),
            FakeMedia(id: "Gone002", ext: "jpg", size: 3_000, description: "lost before the archive"),
            gif,
            FakeMedia(id: "Video03", ext: "mp4", size: 20_000, description: "the video"),
            FakeMedia(id: "Plain04", ext: "png", size: 2_500),
        ]
        harness.imgur.add(
            FakeAlbum(
                id: "q6i58", title: "Workbench", description: "how I built it", media: media,
                extra: [("privacy", .string("secret")), ("cover", .string("Video03"))]))
        harness.imgur.add(media: mp4Twin, listed: false)
        for _ in 0..<4 { harness.imgur.inject("/media/Gone002.jpg", .redirect(to: "\(harness.imgur.apiBase)/removed.png")) }
        let archive = try await BinaryRunner.run(
            ["--animated", "mp4", "q6i58"], environment: environment ?? harness.baseEnvironment, directory: harness.directory)
        #expect(archive.status == 0, "\(archive.out)\(archive.err)")
        #expect(FileManager.default.fileExists(atPath: harness.path("q6i58/AnimGf1.mp4")))
        harness.imgur.remove(album: "q6i58")
        return [media[0], mp4Twin, media[3], media[4]]
    }

    static func sha256(_ data: Data) -> String { SHA256.hexDigest(of: data) }

    /// What the server holds after a restore: one album of the four archived files, in order, with
    /// their texts, the archived title, description, privacy and cover; each file uploaded once.
    static func expectRestored(_ harness: ArchiveFixture, _ files: [FakeMedia], account: String? = nil) throws {
        let albums = harness.imgur.albumRecords
        #expect(albums.count == 1)
        let album = try #require(albums.first)
        #expect(album.title == "Workbench")
        #expect(album.description == "how I built it")
        #expect(album.privacy == "secret")
        #expect(album.account == account)
        let uploads = album.imageIDs.compactMap { harness.imgur.upload($0) }
        #expect(uploads.map(\.sha256) == files.map { sha256($0.data) }, "the archived files, in script order")
        #expect(uploads.map(\.title) == ["step one", "moving", nil, nil])
        #expect(uploads.map(\.description) == ["cut the wood\nthen sand it", nil, "the video", nil])
        #expect(uploads.map(\.isVideo) == [false, true, true, false], "the GIF kept as MP4 goes up as the MP4")
        #expect(album.cover == uploads[2].id)
        for file in files { #expect(harness.imgur.uploadCount(sha256: sha256(file.data)) == 1, "\(file.id) once") }
        #expect(harness.imgur.uploads.count == 4, "the removed media is not uploaded")
    }

    @Test func aDeletedAlbumComesBackInOrderWithItsTextsAndIsReadBack() async throws {
        let harness = try ArchiveFixture()
        let files = try await Self.archived(harness)
        let restore = try await BinaryRunner.run(["restore", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(restore.status == 0, "\(restore.out)\(restore.err)")
        try Self.expectRestored(harness, files)
        let album = try #require(harness.imgur.albumRecords.first)
        #expect(restore.out.contains("skipped          Gone002  Imgur had removed it before it was archived"), "\(restore.out)")
        #expect(restore.out.contains("checked          \(album.id)  read back: order, titles and descriptions as archived"))
        #expect(restore.out.hasSuffix("restored as https://imgur.com/a/\(album.id)\n"), "\(restore.out)")
        #expect(!restore.out.contains(album.deletehash) && !restore.err.contains(album.deletehash), "deletehashes are not printed")
        #expect(harness.imgur.requests("/3/album/\(album.id)").count == 1, "one read-back")

        // The mapping, crash-safe and private: old id -> new id, link, deletehash; the album's too.
        let path = harness.path("q6i58/restored_q6i58.json")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        let (job, items) = try RestoreRun.snapshot("restored_q6i58.json", in: Directory.open(harness.path("q6i58")))
        #expect(job.restoreOf == "q6i58")
        #expect(job.status == .completed)
        #expect(job.differences == [])
        guard case .new(_, let id, let deletehash, false)? = job.album else { Issue.record("no album in \(job)"); return }
        #expect(id == album.id && deletehash == album.deletehash)
        #expect(items.map(\.restoredFrom) == ["First01", "AnimGf1", "Video03", "Plain04"])
        #expect(items.map(\.imgurID) == album.imageIDs)
        #expect(items.allSatisfy { $0.deletehash != nil && $0.link != nil && $0.state == .completed })

        // verify knows the file; a rerun changes nothing, asks Imgur nothing, and says where it is.
        let verify = try await BinaryRunner.run(["verify"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
        let before = harness.imgur.requestCount
        let again = try await BinaryRunner.run(["restore", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(again.status == 0, "\(again.out)\(again.err)")
        #expect(again.out.contains("as https://imgur.com/a/\(album.id) ("), "\(again.out)")
        #expect(again.out.contains("; nothing to do"))
        #expect(harness.imgur.requestCount == before)
    }

    /// `--again`: the restored album lost on Imgur too, restored once more; the earlier restore's
    /// file is kept (never overwritten) and verify knows it; an unfinished restore is refused.
    @Test func restoreAgainKeepsTheEarlierRestoreAndMakesANewAlbum() async throws {
        let harness = try ArchiveFixture()
        let files = try await Self.archived(harness)
        let env = harness.baseEnvironment
        #expect(try await BinaryRunner.run(["restore", "q6i58"], environment: env, directory: harness.directory).status == 0)
        let first = try #require(harness.imgur.albumRecords.first)
        let earlier = try Data(contentsOf: URL(fileURLWithPath: harness.path("q6i58/restored_q6i58.json")))
        harness.imgur.remove(album: first.id)
        let dry = try await BinaryRunner.run(["restore", "--again", "--dry-run", "q6i58"], environment: env, directory: harness.directory)
        #expect(dry.status == 0, "\(dry.out)\(dry.err)")
        #expect(dry.out.contains("dry run: 4 uploads and 1 album"), "\(dry.out)")
        // Named twice (its id and its folder): restored once more, not twice.
        let again = try await BinaryRunner.run(["restore", "--again", "q6i58", harness.path("q6i58")], environment: env, directory: harness.directory)
        #expect(again.status == 0, "\(again.out)\(again.err)")
        #expect(again.err.contains("q6i58: the earlier restore's file is kept as \(harness.path("q6i58/restored_q6i58-1.json")); restoring again"), "\(again.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: harness.path("q6i58/restored_q6i58-1.json"))) == earlier)
        let second = try #require(harness.imgur.albumRecords.first { $0.id != first.id })
        #expect(again.out.hasSuffix("restored as https://imgur.com/a/\(second.id)\n"), "\(again.out)")
        for file in files { #expect(harness.imgur.uploadCount(sha256: Self.sha256(file.data)) == 2, "\(file.id): once per restore") }
        #expect(try await BinaryRunner.run(["verify"], environment: env, directory: harness.directory).status == 0)

        // A third restore that could not start (no credits) is unfinished: --again refuses to set
        // it aside (the plain command finishes it); once it is finished, the next number is used.
        harness.imgur.setRateLimit(client: 12_000, user: 15)
        #expect(try await BinaryRunner.run(["restore", "--again", "q6i58"], environment: env, directory: harness.directory).status == 75)
        let dryRefused = try await BinaryRunner.run(["restore", "--again", "--dry-run", "q6i58"], environment: env, directory: harness.directory)
        #expect(dryRefused.status == 1 && dryRefused.err.contains("is not finished"), "\(dryRefused.out)\(dryRefused.err)")
        let refused = try await BinaryRunner.run(["restore", "--again", "q6i58"], environment: env, directory: harness.directory)
        #expect(refused.status == 1)
        #expect(refused.err.contains("cannot restore q6i58: its earlier restore (\(harness.path("q6i58/restored_q6i58.json"))) is not finished: 'imgur-archive restore q6i58' finishes it"), "\(refused.err)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: harness.path("q6i58/restored_q6i58-1.json"))) == earlier, "never overwritten")
        #expect(FileManager.default.fileExists(atPath: harness.path("q6i58/restored_q6i58-2.json")))
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/restored_q6i58-3.json")))
    }

    @Test func aDryRunPrintsThePlanAndItsCostAndSendsNothing() async throws {
        let harness = try ArchiveFixture()
        _ = try await Self.archived(harness)
        let before = harness.imgur.requestCount
        let dry = try await BinaryRunner.run(
            ["restore", "q6i58", "--privacy", "hidden", "--dry-run"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(dry.status == 0, "\(dry.out)\(dry.err)")
        #expect(dry.out.contains("restore          q6i58  \"Workbench\" as a new hidden album: 4 media files, 1 skipped"), "\(dry.out)")
        #expect(dry.out.contains("would archive    First01  1. First01.jpg  \"step one\", description: 25 characters\n"))
        #expect(dry.out.contains("would archive    Video03  3. Video03.mp4  description: 9 characters  (cover)\n"))
        #expect(dry.out.contains("skipped          Gone002  "))
        #expect(dry.out.contains("dry run: 4 uploads and 1 album: 41 credits, 5 POSTs; "), "\(dry.out)")
        #expect(dry.out.hasSuffix("; nothing was sent\n"))
        let sent = harness.imgur.requests("/").dropFirst(0).filter { $0.method != "GET" }
        #expect(sent.isEmpty, "no write request: \(sent.map(\.path))")
        #expect(harness.imgur.requestCount - before <= 1, "at most the credits")
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/restored_q6i58.json")))
    }

    /// Too few credits for even one upload: nothing is sent, the run says why and exits 75; once
    /// the hour has turned, the same command does the whole restore.
    @Test func withoutCreditsNothingIsSentAndTheNextRunRestores() async throws {
        let harness = try ArchiveFixture()
        let files = try await Self.archived(harness)
        harness.imgur.setRateLimit(client: 12_000, user: 15)
        let short = try await BinaryRunner.run(["restore", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(short.status == 75, "\(short.out)\(short.err)")
        #expect(short.out.contains("deferred: q6i58 not started: hourly budget down to 15 of 500 requests (reserve 10)"), "\(short.out)")
        #expect(short.err.contains("this restore needs 41 credits (4 uploads) and 15 are left this hour"), "\(short.err)")
        #expect(harness.imgur.requests("/").filter { $0.method == "POST" }.isEmpty)

        harness.imgur.setRateLimit(client: 12_000, user: 490)
        let next = try await BinaryRunner.run(["restore", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(next.status == 0, "\(next.out)\(next.err)")
        try Self.expectRestored(harness, files)
    }

    /// kill -9 while an upload is in flight (stored by Imgur, its answer never sent), then the same
    /// command: with a login the lost one is found by name, so every media is up exactly once and
    /// the album is whole.
    @Test func aRestoreKilledMidUploadResumesWithEachMediaOnce() async throws {
        let (harness, environment) = try WriteSideTests.loggedIn()
        let files = try await Self.archived(harness, environment: environment)
        harness.imgur.injectAfterStoring(.stall, on: .upload(number: 2))
        let running = try BinaryRunner.start(["restore", "q6i58", "-j", "1"], environment: environment, directory: harness.directory)
        let pid = running.pid
        let imgur = harness.imgur
        #expect(await whenTrue({ imgur.uploads.count >= 2 }) { kill(pid, SIGKILL) })
        let killed = await running.finish()
        #expect(killed.status == SIGKILL)
        #expect(harness.imgur.albumRecords.isEmpty, "no half album")

        let resumed = try await BinaryRunner.run(["restore", "q6i58"], environment: environment, directory: harness.directory)
        #expect(resumed.status == 0, "\(resumed.out)\(resumed.err)")
        #expect(resumed.out.contains("(found in your account)"), "\(resumed.out)")
        try Self.expectRestored(harness, files, account: WriteSideTests.user.username)
    }

    /// A file that no longer has the bytes the archive recorded is damaged: it is not put back.
    @Test func aDamagedArchivedFileIsNotUploaded() async throws {
        let harness = try ArchiveFixture()
        _ = try await Self.archived(harness)
        let path = harness.path("q6i58/Plain04.png")
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let restore = try await BinaryRunner.run(["restore", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(restore.status == 1, "\(restore.out)\(restore.err)")
        #expect(restore.out.contains("Plain04.png  no longer has the SHA-256 the archive recorded for it"), "\(restore.out)")
        #expect(harness.imgur.uploads.count == 3)
        #expect(harness.imgur.uploadCount(sha256: Self.sha256(bytes)) == 0)
    }

    @Test func badTargetsAreRefusedWithOneLine() async throws {
        let harness = try ArchiveFixture()
        _ = try await Self.archived(harness)
        let missing = try await BinaryRunner.run(["restore", "NotHere"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(missing.status == 64)
        #expect(missing.err.hasPrefix("error: not an archived album here, nor an album folder: NotHere\n"), "\(missing.err)")
        let privacy = try await BinaryRunner.run(
            ["restore", "q6i58", "--privacy", "open"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(privacy.status == 64)
        #expect(privacy.err.hasPrefix("error: '--privacy' takes public, hidden or secret, not 'open'\n"))
        // A folder named by its album works from anywhere.
        let byPath = try await BinaryRunner.run(
            ["restore", harness.path("q6i58"), "--dry-run"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(byPath.status == 0, "\(byPath.err)")
    }
}
