import Testing

@testable import Archiver

/// The run's last line: counts that are true, words that say what ended the run.
@Suite struct SummaryTests {
    @Test func oneFileIsOneFile() {
        var tally = Tally()
        tally.archived = 1
        tally.files = 1
        #expect(tally.summary(seconds: 2, receivedBytes: 1_500) == "done: 1 archived; 1 file, 1.5 kB received in 2.0s")
    }

    /// Albums cancelled because a fatal error stopped the run were not interrupted.
    @Test func albumsCancelledAfterAFatalErrorAreCalledSo() {
        var tally = Tally()
        tally.failed = 2
        tally.cancelled = 14
        #expect(tally.summary(seconds: 1, receivedBytes: 0, ending: .fatalError)
            == "stopped by an error: 2 failed, 14 cancelled after the error; 0 files, 0 B received in 1.0s; run imgur-archive again to finish")
    }

    @Test func aSignalSaysWhatStoppedAndToRunAgain() {
        var tally = Tally()
        tally.archived = 3
        tally.files = 12
        tally.cancelled = 2
        #expect(tally.summary(seconds: 61, receivedBytes: 4_000_000, ending: .signal)
            == "stopped by a signal: 3 archived, 2 interrupted; 12 files, 4.0 MB received in 1m01s; run imgur-archive again to finish")
    }

    /// Skipped as recorded and found gone by this run are both "unavailable"; only the second fails.
    @Test func onlyWhatThisRunFoundGoneFailsTheRun() {
        var skipped = Tally()
        skipped.recordedUnavailable = 1
        #expect(!skipped.hasFailures)
        var found = Tally()
        found.unavailable = 1
        #expect(found.hasFailures)
        var kept = Tally()
        kept.goneButKept = 1
        #expect(!kept.hasFailures, "a refresh that finds an archived album gone keeps the copy: not a failure")
        #expect(found.summary(seconds: 0, receivedBytes: 0) == "done: 1 unavailable; 0 files, 0 B received in 0.0s")
    }
}
