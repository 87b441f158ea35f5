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

/// What the user sees: plain lines for cron, a live status line on a terminal, --quiet, --verbose.
@Suite struct ReporterTests {
    /// A clock the test moves by hand.
    final class Clock: @unchecked Sendable {
        // Only the test thread touches it, between reporter calls.
        var now: TimeInterval = 100
    }

    static func make(live: Bool, color: Bool = false, verbosity: Verbosity = .normal)
        -> (Reporter, CapturedOutput, Clock)
    {
        let (capturing, captured) = Console.capturing()
        let console = Console(out: capturing.out, err: capturing.err, liveStatus: live, color: color)
        let clock = Clock()
        return (Reporter(console: console, verbosity: verbosity, tick: nil, clock: { clock.now }), captured, clock)
    }

    @Test func onATerminalAStatusLineShowsAlbumsFilesBytesRateAndETA() {
        let (reporter, captured, clock) = Self.make(live: true)
        reporter.expect(4)
        reporter.expectFiles(2, bytes: 10_000_000)
        reporter.bytesReceived(0)
        clock.now += 2
        reporter.bytesReceived(3_000_000)
        reporter.fileDone()
        reporter.itemFinished()
        reporter.result(.archived, "q6i58", "1 file")
        clock.now += 2
        reporter.bytesReceived(1_000_000)
        // 4 MB in the last 4 s: 1 MB/s, and 6 MB left at that speed.
        #expect(captured.err.hasSuffix("\r\u{1B}[K[1/4 albums] 1/2 files, 4.0 MB of 10.0 MB, 1.0 MB/s, ETA 6.0s"))
        // The album line went to stdout, with the status line cleared before and drawn again after.
        #expect(captured.out == "archived         q6i58    1 file\n")
        reporter.summary("done")
        #expect(captured.err.hasSuffix("\r\u{1B}[K"), "the status line is cleared before the summary")
    }

    /// Albums count when they finish, not when their line's turn in input order comes.
    @Test func albumsAreCountedWhenTheyFinishNotWhenPrinted() {
        let (reporter, captured, clock) = Self.make(live: true)
        reporter.expect(15)
        for _ in 0..<14 { reporter.itemFinished() }
        clock.now += 1
        reporter.bytesReceived(1)
        #expect(captured.err.hasSuffix("[14/15 albums] 0 files, 1 B, 1 B/s"), "\(captured.err)")
        #expect(captured.out.isEmpty, "no album line yet: the first album is still going")
    }

    /// The speed is the last five seconds', not the run's average: an idle link shows 0 B/s.
    @Test func theSpeedIsRecentAndTheETAComesFromTheBytesLeft() {
        var line = ProgressLine()
        line.itemsTotal = 1
        line.filesTotal = 1
        line.bytesTotal = 100_000_000
        _ = line.text(at: 0, width: nil)
        line.bytes = 50_000_000
        #expect(line.text(at: 10, width: nil) == "[0/1 albums] 0/1 files, 50.0 MB of 100.0 MB, 5.0 MB/s, ETA 10s")
        for second in 11...20 { _ = line.text(at: TimeInterval(second), width: nil) }
        #expect(line.text(at: 21, width: nil) == "[0/1 albums] 0/1 files, 50.0 MB of 100.0 MB, 0 B/s")
        line.bytes = 52_000_000
        #expect(line.text(at: 22, width: nil).hasSuffix(", 400.0 kB/s, ETA 2m00s"))
    }

    @Test func theLineIsCutToTheTerminalWidth() throws {
        let (capturing, captured) = Console.capturing()
        var console = Console(out: capturing.out, err: capturing.err, liveStatus: true, color: false)
        console.columns = { 40 }
        let clock = Clock()
        let reporter = Reporter(console: console, verbosity: .normal, tick: nil, clock: { clock.now })
        reporter.expect(15)
        reporter.expectFiles(300, bytes: 2_000_000_000)
        clock.now += 1
        reporter.bytesReceived(123_456_789)
        let drawn = try #require(captured.err.components(separatedBy: "\u{1B}[K").last)
        #expect(drawn == "[0/15 albums] 0/300 files, 123.5 MB of…")
        #expect(drawn.count == 39, "one column is left free")
    }

    @Test func theStatusLineIsRedrawnAtMostFiveTimesASecond() {
        let (reporter, captured, clock) = Self.make(live: true)
        reporter.expect(1)
        clock.now += 1
        for _ in 0..<1000 { reporter.bytesReceived(10) }
        #expect(captured.err.components(separatedBy: "\r").count - 1 == 1)
    }

    /// While nothing arrives (an API answer, a backoff wait) the line is still redrawn, so its rate
    /// and ETA keep moving; the summary stops that.
    @Test func theStatusLineKeepsMovingWhileNothingArrives() async throws {
        let (capturing, captured) = Console.capturing()
        let console = Console(out: capturing.out, err: capturing.err, liveStatus: true, color: false)
        let reporter = Reporter(console: console, verbosity: .normal, tick: 0.02)
        reporter.expect(3)
        #expect(await waitUntil { captured.err.components(separatedBy: "[0/3 albums]").count > 3 }, "redrawn without progress")
        reporter.summary("done")
        let after = captured.err
        try await Task.sleep(for: .milliseconds(100))
        #expect(captured.err == after, "nothing is drawn after the summary")
        #expect(after.hasSuffix("\r\u{1B}[K"))
    }

    @Test func withoutATerminalNothingIsRedrawn() {
        let (reporter, captured, clock) = Self.make(live: false)
        reporter.expect(2)
        clock.now += 1
        reporter.bytesReceived(1_000)
        reporter.fileDone()
        reporter.result(.archived, "q6i58", "1 file")
        #expect(captured.err.isEmpty)
        #expect(!captured.out.contains("\r") && !captured.out.contains("\u{1B}"))
    }

    @Test func quietPrintsOnlyErrorsAndFailures() {
        let (reporter, captured, _) = Self.make(live: true, verbosity: .quiet)
        reporter.result(.archived, "q6i58", "1 file")
        reporter.result(.alreadyArchived, "XyZ12ab", "")
        reporter.note("retrying something")
        reporter.verbose("GET …")
        reporter.bytesReceived(1_000_000)
        reporter.result(.failed, "AbCdE", "connection to i.imgur.com failed")
        reporter.warning("a warning")
        #expect(captured.out.isEmpty)
        #expect(captured.err == "error: AbCdE: connection to i.imgur.com failed\nwarning: a warning\n")
    }

    @Test func verboseAddsRequests() {
        let (reporter, captured, _) = Self.make(live: false, verbosity: .verbose)
        reporter.verbose("GET https://api.imgur.com/3/album/q6i58 -> 200 in 80 ms")
        #expect(captured.err == "GET https://api.imgur.com/3/album/q6i58 -> 200 in 80 ms\n")
    }

    @Test func colourOnlyWhenAllowed() {
        let (plain, plainOut, _) = Self.make(live: false, color: false)
        plain.result(.failed, "q6i58", "why")
        #expect(!plainOut.out.contains("\u{1B}"))
        let (coloured, colouredOut, _) = Self.make(live: false, color: true)
        coloured.result(.failed, "q6i58", "why")
        #expect(colouredOut.out.hasPrefix("\u{1B}[31mfailed"))
        #expect(!Console.standard(environment: ["NO_COLOR": "1"]).color)
    }

    @Test func titlesCannotDrawOnTheTerminal() {
        #expect(TextFormat.quoted("evil\u{1B}[2J\ntitle\u{202E}") == "\"evil [2J title \"")
        #expect(TextFormat.quoted(String(repeating: "x", count: 100)).count == 62)
        #expect(TextFormat.quoted(nil) == "")
    }
}
