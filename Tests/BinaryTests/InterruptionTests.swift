import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurArchiveCLI

/// The built binary stopped the hard ways: SIGKILL, SIGINT/SIGTERM, a full disk. Each time the next
/// run must finish the archive, byte for byte what an uninterrupted run gives.
@Suite struct InterruptionTests {
    static let epoch = "1790000000"

    /// An album with a large file whose first response sends 2.5 MB and then stalls, so that a run
    /// is surely in the middle of it when the test strikes, however slow the machine. (Bytes reach
    /// the partial file in 512 KiB pieces: more than two of them must have arrived.)
    static func slowAlbum(slow: Bool = true) throws -> (ArchiveFixture, [FakeMedia]) {
        let harness = try ArchiveFixture()
        let media = [
            FakeMedia(id: "Small01", ext: "png", size: 4_000, description: "before"),
            FakeMedia(id: "BigFile", ext: "jpg", size: 3_000_000, description: "big"),
            FakeMedia(id: "Small02", ext: "mp4", size: 9_000),
        ]
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "Slow", media: media))
        harness.imgur.add(FakeAlbum(id: "XyZ12ab", media: [FakeMedia(id: "Other01", size: 5_000)]))
        let big = media[1]
        if slow {
            harness.imgur.inject(
            "/media/BigFile.jpg",
            .bytes(big.data, contentType: big.contentType, headers: [("ETag", big.etag)])
                    .with(.stallAfter(bytes: 2_500_000)))
        }
        try harness.write("XyZ12ab\nq6i58\n", to: "links.txt")
        return (harness, media)
    }

    static func environment(_ harness: ArchiveFixture) -> [String: String] {
        [
            "IMGUR_CLIENT_ID": FakeImgur.clientID, "IMGUR_API_BASE": harness.imgur.apiBase, "HOME": harness.directory,
            "SOURCE_DATE_EPOCH": epoch,
        ]
    }

    /// Waits until the partial file of the big download has some bytes, then runs `strike` at once
    /// (on the watching thread: the stall is a window of the binary's 30 s idle timeout, which a
    /// busy test process must not let pass before it strikes).
    /// With `afterCataloging`, it also waits until the catalog holds that album (the other album of
    /// the run downloads beside the big one, and a busy machine may finish it after the stall began).
    static func waitForPartialDownload(
        _ harness: ArchiveFixture, afterCataloging album: String? = nil,
        then strike: @escaping @Sendable () -> Void = {}
    ) async throws {
        let partial = harness.path("q6i58/.BigFile.jpg.part")
        let catalog = harness.path("scraping_logs.json")
        let started = await whenTrue({
            guard ((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0) >= 1_048_576 else {
                return false
            }
            guard let album else { return true }
            let text = (try? String(contentsOfFile: catalog, encoding: .utf8)) ?? ""
            return text.contains("\"\(album)\"")
        }, then: strike)
        if !started { Issue.record("the download never started") }
    }

    /// What an uninterrupted run writes for the same input, in another directory.
    static func reference(_ harness: ArchiveFixture) async throws -> String {
        let directory = try makeTemporaryDirectory()
        try FileManager.default.copyItem(atPath: harness.path("links.txt"), toPath: "\(directory)/links.txt")
        var environment = Self.environment(harness)
        environment["HOME"] = directory
        let result = try await BinaryRunner.run([], environment: environment, directory: directory)
        #expect(result.status == 0)
        return directory
    }

    static func expectSameArchive(_ harness: ArchiveFixture, as reference: String) throws {
        let expected = filesBelow(reference)
        #expect(harness.files() == expected)
        for file in expected where !file.hasSuffix(".lock") {
            #expect(harness.data(file) == FileManager.default.contents(atPath: "\(reference)/\(file)"), "\(file)")
        }
    }

    @Test func aRunKilledMidDownloadIsFinishedByTheNextRunByteForByte() async throws {
        let (harness, _) = try Self.slowAlbum()
        let running = try BinaryRunner.start(["-v"], environment: Self.environment(harness), directory: harness.directory)
        let pid = running.pid
        try await Self.waitForPartialDownload(harness) { kill(pid, SIGKILL) }
        let killed = await running.finish()
        #expect(killed.status == SIGKILL, "\(killed.out)\(killed.err)")
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/BigFile.jpg")), "no half file under a final name")
        // Whatever the kill left, the catalog is readable and holds only finished albums.
        let catalog = try #require(harness.json("scraping_logs.json"))
        #expect(catalog.objectValue?.keys.contains("q6i58") == false)

        let next = try await BinaryRunner.run([], environment: Self.environment(harness), directory: harness.directory)
        #expect(next.status == 0, "\(next.out)\(next.err)")
        let resumed = try #require(harness.imgur.requests("/media/BigFile.jpg").last)
        #expect(resumed.header("Range")?.hasPrefix("bytes=") == true, "the next run resumed the partial file")
        let reference = try await Self.reference(harness)
        defer { try? FileManager.default.removeItem(atPath: reference) }
        try Self.expectSameArchive(harness, as: reference)
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalStopsTheRunCleanly(signal: Int32, status: Int32) async throws {
        let (harness, _) = try Self.slowAlbum()
        let running = try BinaryRunner.start(["-v"], environment: Self.environment(harness), directory: harness.directory)
        let pid = running.pid
        try await Self.waitForPartialDownload(harness, afterCataloging: "XyZ12ab") { kill(pid, signal) }
        let stopped = await running.finish()
        #expect(stopped.status == status, "\(stopped.out)\(stopped.err)")
        #expect(stopped.out.contains("archived         XyZ12ab"), "what was finished is reported: \(stopped.err)")
        #expect(stopped.out.contains("stopped by a signal: 1 archived, 1 interrupted; "), "the summary says what stopped: \(stopped.out)")
        #expect(stopped.out.hasSuffix("; run imgur-archive again to finish\n"))
        #expect(FileManager.default.fileExists(atPath: harness.path("q6i58/.BigFile.jpg.part")), "the partial file is kept")
        #expect(harness.json("scraping_logs.json")?.objectValue?.keys.sorted() == ["XyZ12ab"])

        // verify calls the interrupted album what it is: incomplete, not damaged (exit 75).
        let verify = try await BinaryRunner.run(["verify"], environment: Self.environment(harness), directory: harness.directory)
        #expect(verify.status == 75, "\(verify.out)\(verify.err)")
        #expect(verify.out.contains("incomplete       q6i58    an interrupted download ("), "\(verify.out)")
        #expect(verify.out.contains("; run imgur-archive to finish it\n"))
        #expect(!verify.out.contains("damaged"))

        let next = try await BinaryRunner.run([], environment: Self.environment(harness), directory: harness.directory)
        #expect(next.status == 0)
        #expect(harness.imgur.requests("/media/BigFile.jpg").last?.header("Range")?.hasPrefix("bytes=") == true)
        let reference = try await Self.reference(harness)
        defer { try? FileManager.default.removeItem(atPath: reference) }
        try Self.expectSameArchive(harness, as: reference)
    }

    @Test func aWriteFailureStopsTheRunNamingThePathAndTheNextRunCompletes() async throws {
        let (harness, _) = try Self.slowAlbum(slow: false)
        let limited = try await BinaryRunner.run(
            ["-c", "trap '' XFSZ; ulimit -f 1000; exec \"$0\"", BinaryRunner.executable],
            environment: Self.environment(harness).merging(["PATH": "/usr/bin:/bin"]) { $1 },
            directory: harness.directory, launcher: "/bin/bash")
        #expect(limited.status == 1, "\(limited.out)\(limited.err)")
        #expect(limited.err.contains("error: cannot write \(harness.path("q6i58/.BigFile.jpg.part")): File too large"))
        #expect(!FileManager.default.fileExists(atPath: harness.path("q6i58/BigFile.jpg")))
        #expect(harness.json("scraping_logs.json")?["q6i58"] == nil)

        let next = try await BinaryRunner.run([], environment: Self.environment(harness), directory: harness.directory)
        #expect(next.status == 0, "\(next.out)\(next.err)")
        let reference = try await Self.reference(harness)
        defer { try? FileManager.default.removeItem(atPath: reference) }
        try Self.expectSameArchive(harness, as: reference)
    }
}

/// Attacks that need two processes or a pipe (docs/design.md, "Threat model").
@Suite struct HostileProcessTests {
    @Test func deletingTheLockFileDuringARunDoesNotLetASecondRunIn() async throws {
        let (harness, _) = try InterruptionTests.slowAlbum()
        let first = try BinaryRunner.start([], environment: InterruptionTests.environment(harness), directory: harness.directory)
        defer { kill(first.pid, SIGKILL) }
        let lockFile = harness.path(".imgur-archive.lock")
        // The second run starts inside the first one's stall, from the watching thread.
        let second = Locked<BinaryRunner.Running?>(nil)
        let environment = InterruptionTests.environment(harness)
        let directory = harness.directory
        try await InterruptionTests.waitForPartialDownload(harness) {
            unlink(lockFile)
            second.withLock { $0 = try? BinaryRunner.start(["q6i58"], environment: environment, directory: directory) }
        }
        let secondRun = try #require(second.current)
        let result = await secondRun.finish()
        #expect(result.status == 75, "\(result.out)\(result.err)")
        #expect(result.err.contains("is using \(harness.directory)"))
        kill(first.pid, SIGKILL)
        _ = await first.finish()
        // Whatever the first run had done, the catalog is still one valid JSON object.
        #expect(harness.json("scraping_logs.json") != nil)
    }

    @Test func aClosedStdoutDoesNotKillTheRun() async throws {
        let (harness, _) = try InterruptionTests.slowAlbum(slow: false)
        let result = try await BinaryRunner.run(
            ["-c", "set -o pipefail; \"$0\" | head -c 10", BinaryRunner.executable],
            environment: InterruptionTests.environment(harness).merging(["PATH": "/usr/bin:/bin"]) { $1 },
            directory: harness.directory, launcher: "/bin/bash")
        #expect(result.status == 0, "no SIGPIPE (141): \(result.err)")
        #expect(harness.json("scraping_logs.json")?.objectValue?.keys.sorted() == ["XyZ12ab", "q6i58"], "all the work was done")
    }
}
