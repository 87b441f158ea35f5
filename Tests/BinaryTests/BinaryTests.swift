import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurArchiveCLI

/// The built `imgur-archive` binary, run as a user would in a storage directory.
@Suite struct BinaryTests {
    @Test func printsItsVersionAndHelp() async throws {
        let version = try await BinaryRunner.run(["--version"], environment: [:], directory: "/")
        #expect(version.status == 0)
        #expect(version.out == "imgur-archive \(Usage.version)\n")
        let help = try await BinaryRunner.run(["--help"], environment: [:], directory: "/")
        #expect(help.status == 0)
        #expect(help.out.contains("USAGE: imgur-archive"))
        #expect(help.out.contains("EXIT STATUS:"))
        #expect(help.err.isEmpty)
    }

    @Test func anUnknownOptionExitsWith64() async throws {
        let result = try await BinaryRunner.run(["--nope"], environment: [:], directory: "/")
        #expect(result.status == 64)
        #expect(result.err == "error: unknown option '--nope'\nSee 'imgur-archive --help'.\n")
        #expect(result.out.isEmpty)
    }

    @Test func archivesLinksTxtInTheCurrentDirectory() async throws {
        let harness = try ArchiveFixture()
        let media = FakeMedia.sampleAlbum()
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "Wallpapers", media: media))
        try harness.write("# albums\nhttps://imgur.com/a/wallpapers-q6i58\n", to: "links.txt")
        try harness.write("{\"client_id\": \"\(FakeImgur.clientID)\"}", to: "api_secrets.json")
        chmod(harness.path("api_secrets.json"), 0o600)
        let environment = ["IMGUR_API_BASE": harness.imgur.apiBase, "HOME": harness.directory, "PATH": "/usr/bin:/bin"]

        let first = try await BinaryRunner.run([], environment: environment, directory: harness.directory)
        #expect(first.status == 0, "\(first.out)\n\(first.err)")
        #expect(first.out.contains("archived         q6i58    3 files"))
        #expect(first.err.isEmpty, "no warning, no progress line when not on a terminal: \(first.err)")
        for item in media { #expect(harness.data("q6i58/\(item.fileName)") == item.data) }
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")

        harness.imgur.server.resetLog()
        let second = try await BinaryRunner.run([], environment: environment, directory: harness.directory)
        #expect(second.status == 0)
        #expect(harness.imgur.requestCount == 0)
    }

    @Test func aSecondRunOnTheSameDirectoryExitsWith75NamingTheFirst() async throws {
        let harness = try ArchiveFixture()
        let held = try RunLock.acquire(Directory.open(harness.directory), wait: false)
        let environment = ["IMGUR_CLIENT_ID": FakeImgur.clientID, "IMGUR_API_BASE": harness.imgur.apiBase]
        let result = try await BinaryRunner.run(["q6i58"], environment: environment, directory: harness.directory)
        #expect(result.status == 75)
        #expect(result.err.contains("another imgur-archive run (pid \(getpid())) is using \(harness.directory)"))
        withExtendedLifetime(held) {}
    }

    @Test func aConfiguredClientIDImgurRefusesExitsWith78() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        var environment = harness.baseEnvironment
        environment["IMGUR_CLIENT_ID"] = "not-a-real-one"
        let result = try await BinaryRunner.run(["q6i58"], environment: environment, directory: harness.directory)
        #expect(result.status == 78, "\(result.err)")
        #expect(result.err.contains("Imgur refused the client id (HTTP 403: Invalid client_id)"))
    }

    @Test func anUnreadableCredentialsFileExitsWith78() async throws {
        let harness = try ArchiveFixture()
        try harness.write("{not json", to: "api_secrets.json")
        var environment = harness.baseEnvironment
        environment["IMGUR_CLIENT_ID"] = nil
        let result = try await BinaryRunner.run(["q6i58"], environment: environment, directory: harness.directory)
        #expect(result.status == 78)
        #expect(result.err.contains("cannot use credentials file \(harness.path("api_secrets.json"))"))
    }

    @Test func withoutAClientIDTheBinaryArchivesWithThePublicOne() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        var environment = harness.baseEnvironment
        environment["IMGUR_CLIENT_ID"] = nil
        let result = try await BinaryRunner.run(["q6i58"], environment: environment, directory: harness.directory)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.contains("using the public client id of imgur.com's own pages"))
    }

    @Test func aRunWaitsForAnotherRunWithWait() async throws {
        let harness = try ArchiveFixture()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: FakeMedia.sampleAlbum()))
        var held: RunLock? = try RunLock.acquire(Directory.open(harness.directory), wait: false)
        let running = try BinaryRunner.start(["--wait", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(await running.waitForStderr("waiting for another imgur-archive run to finish with \(harness.directory)"))
        #expect(running.isRunning, "the second run waits for the lock")
        #expect(harness.imgur.requestCount == 0)
        withExtendedLifetime(held) {}
        held = nil
        let result = await running.finish()
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("archived         q6i58    3 files"), "it does what it was asked: \(result.out)")
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aWaitingRunStopsAtOnceOnASignal(signal: Int32, status: Int32) async throws {
        let harness = try ArchiveFixture()
        let held = try RunLock.acquire(Directory.open(harness.directory), wait: false)
        let running = try BinaryRunner.start(["--wait", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(await running.waitForStderr("waiting for another imgur-archive run"))
        kill(running.pid, signal)
        let result = await running.finish()
        #expect(result.status == status, "\(result.err)")
        #expect(result.err.contains("error: stopped by a signal"))
        #expect(harness.imgur.requestCount == 0)
        withExtendedLifetime(held) {}
    }

    /// A connection that sends nothing costs nothing: the process sleeps (docs/urlsession-linux.md §10).
    @Test func aStalledDownloadCostsNoCPU() async throws {
        let harness = try ArchiveFixture()
        let media = FakeMedia(id: "Stalled", size: 200_000)
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [media]))
        harness.imgur.inject("/media/Stalled.jpg", .bytes(media.data, contentType: "image/jpeg").with(.stallAfter(bytes: 1_000)))
        let running = try BinaryRunner.start(["-v", "q6i58"], environment: harness.baseEnvironment, directory: harness.directory)
        defer { kill(running.pid, SIGKILL) }
        // Measured on a thread of its own, inside the stall (the binary gives up after 30 s idle),
        // however busy the test process is.
        let cpu = Locked<(before: Double?, after: Double?)>((nil, nil))
        let imgur = harness.imgur
        #expect(await whenTrue({ imgur.requests("/media/Stalled.jpg").count == 1 }) {
            usleep(200_000)  // the request is in; its answer's first 1,000 bytes are on their way
            let before = running.cpuSeconds()
            // Three seconds of a stalled connection. Before the fix this took about a second of
            // CPU for every second of waiting; now it takes a few milliseconds.
            sleep(3)
            cpu.withLock { $0 = (before, running.cpuSeconds()) }
        })
        let before = try #require(cpu.current.before)
        let after = try #require(cpu.current.after)
        #expect(after - before < 0.5, "a stall cost \(after - before) CPU-s in 3 s")
    }
}
