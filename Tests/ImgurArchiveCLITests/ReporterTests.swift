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
        clock.now += 2
        reporter.bytesReceived(3_000_000)
        reporter.fileDone()
        reporter.result(.archived, "q6i58", "1 file")
        clock.now += 2
        reporter.bytesReceived(1_000_000)
        #expect(captured.err.contains("\r\u{1B}[K[1/4 albums] 1 files, 4.0 MB, 1.0 MB/s, ETA 12s"))
        // The album line went to stdout, with the status line cleared before and drawn again after.
        #expect(captured.out == "archived         q6i58    1 file\n")
        reporter.summary("done")
        #expect(captured.err.hasSuffix("\r\u{1B}[K"), "the status line is cleared before the summary")
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
