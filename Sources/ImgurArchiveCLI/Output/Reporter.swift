import Foundation
import HTTPCore
import Jobs
import Synchronization

/// Everything a command tells the user, formatted in one place (the `RunEvents` of every run).
///
/// One line per album on stdout; warnings, errors, retries and (on a terminal) a live status line
/// on stderr. Nothing is redrawn when stderr is not a terminal (cron mails stay readable).
final class Reporter: RunEvents {
    private struct Status {
        var progress = ProgressLine()
        var shown = false
        var lastDraw: TimeInterval = 0
    }

    let verbosity: Verbosity
    private let console: Console
    private let clock: @Sendable () -> TimeInterval
    private let started: TimeInterval
    private let status = Mutex(Status())
    /// Redraws the status line while nothing arrives (API answers, backoff waits, stalls), so that
    /// its rate and ETA stay true; nil for none.
    private let tick: TimeInterval?
    private let ticker = Mutex<DispatchSourceTimer?>(nil)

    init(console: Console, verbosity: Verbosity, tick: TimeInterval? = 1, clock: @escaping @Sendable () -> TimeInterval = {
        ProcessInfo.processInfo.systemUptime
    }) {
        self.console = console
        self.verbosity = verbosity
        self.tick = tick
        self.clock = clock
        started = clock()
    }

    deinit {
        stopTicking()
    }

    /// Text for the terminal: no control characters, no deletehash.
    static func safe(_ text: String) -> String { TextFormat.terminalSafe(TextFormat.redactingDeletehashes(text)) }

    // MARK: Album results (stdout)

    static func colour(_ verdict: Verdict) -> String {
        switch verdict {
        case .archived, .verified, .repaired, .uploaded, .deleted: "\u{1B}[32m"
        case .partial, .unavailable, .deferred, .incomplete, .uncertain: "\u{1B}[33m"
        case .failed, .damaged, .notArchived: "\u{1B}[31m"
        case .alreadyArchived, .recordedUnavailable, .wouldArchive, .skipped: "\u{1B}[2m"
        }
    }

    /// `archived  q6i58  12 files, 34.5 MB  "Title"`.
    func result(_ verdict: Verdict, _ id: String, _ detail: String) {
        // Nothing to show (a quiet merge of 100,000 entries would format every line for nothing).
        if !verdict.isProblem, verbosity == .quiet { return }
        let (id, detail) = (TextFormat.terminalSafe(id), Self.safe(detail))
        let label = verdict.label.padding(toLength: 16, withPad: " ", startingAt: 0)
        let painted = console.color ? "\(Self.colour(verdict))\(label)\u{1B}[0m" : label
        // Padded to an id's width, never cut: a path or URL is shown whole.
        let subject = id.count < 7 ? id.padding(toLength: 7, withPad: " ", startingAt: 0) : id
        let line = "\(painted) \(subject)  \(detail)"
            .trimmingCharacters(in: .whitespaces) + "\n"
        if verdict.isProblem {
            if verbosity == .quiet {
                emit(err: "\(verdict == .unavailable ? "unavailable" : "error"): \(id): \(detail)\n")
            } else {
                emit(out: line)
            }
        } else if verbosity > .quiet {
            emit(out: line)
        }
    }

    /// `account  NAME  12 to archive from 3 pages`.
    func heading(_ label: String, _ subject: String, _ detail: String) {
        guard verbosity > .quiet else { return }
        emit(out: TextFormat.terminalSafe("\(label.padding(toLength: 16, withPad: " ", startingAt: 0)) \(subject)  \(detail)") + "\n")
    }

    // MARK: Diagnostics (stderr)

    func warning(_ text: String) {
        emit(err: "warning: \(Self.safe(text))\n")
    }

    func error(_ text: String) {
        emit(err: "error: \(Self.safe(text))\n")
    }

    /// Shown unless --quiet: a run that waits must say so.
    func note(_ text: String) {
        if verbosity > .quiet { emit(err: "\(Self.safe(text))\n") }
    }

    func verbose(_ text: String) {
        if verbosity == .verbose { emit(err: "\(Self.safe(text))\n") }
    }

    func retry(_ event: RetryEvent) {
        note("retrying \(event.subject) in \(TextFormat.duration(event.delay)) (attempt \(event.attempt): \(event.reason))")
    }

    // MARK: Live status (stderr, terminals only)

    func expect(_ count: Int) {
        status.withLock { $0.progress.itemsTotal += count }
        startTicking()
    }

    func expectFiles(_ count: Int, bytes: Int64) {
        status.withLock {
            $0.progress.filesTotal += count
            $0.progress.bytesTotal += bytes
        }
    }

    func itemFinished() {
        status.withLock { $0.progress.itemsDone += 1 }
        redraw(force: false)
    }

    private func startTicking() {
        guard let tick, showsStatus else { return }
        ticker.withLock { timer in
            guard timer == nil else { return }
            let source = DispatchSource.makeTimerSource(queue: .global())
            source.schedule(deadline: .now() + tick, repeating: tick)
            source.setEventHandler { [weak self] in self?.redraw(force: true) }
            source.resume()
            timer = source
        }
    }

    private func stopTicking() {
        ticker.withLock { timer in
            timer?.cancel()
            timer = nil
        }
    }

    /// Counted for the status line only: nothing to do without one (cron), on the per-chunk path.
    func fileDone() {
        status.withLock { $0.progress.filesDone += 1 }
        redraw(force: false)
    }

    /// Counted always: the summary gives every byte received, partial files and resumed ranges too.
    func bytesReceived(_ count: Int) {
        status.withLock { $0.progress.bytes += Int64(count) }
        redraw(force: false)
    }

    /// Every byte received so far (or, for verify, hashed).
    var receivedBytes: Int64 { status.withLock { $0.progress.bytes } }

    private var showsStatus: Bool { console.liveStatus && verbosity > .quiet }

    private func redraw(force: Bool) {
        guard showsStatus else { return }
        let now = clock()
        let line: String? = status.withLock { state in
            guard force || now - state.lastDraw >= 0.2 else { return nil }
            state.lastDraw = now
            state.shown = true
            return state.progress.text(at: now, width: console.columns())
        }
        if let line { console.err("\r\u{1B}[K\(line)") }
    }

    /// Clears the status line before other output, and draws it again after.
    private func emit(out text: String? = nil, err errText: String? = nil) {
        let shown = status.withLock { state -> Bool in
            defer { state.shown = false }
            return state.shown
        }
        if shown { console.err("\r\u{1B}[K") }
        if let text { console.out(text) }
        if let errText { console.err(errText) }
        if shown { redraw(force: true) }
    }

    func clearStatus() {
        stopTicking()
        let shown = status.withLock { state -> Bool in
            defer { state.shown = false }
            return state.shown
        }
        if shown { console.err("\r\u{1B}[K") }
    }

    // MARK: Summary

    /// On stdout after the result lines; under --quiet on stderr, with the only lines printed then.
    func summary(_ text: String) {
        clearStatus()
        let line = "\(TextFormat.terminalSafe(text))\n"
        if verbosity == .quiet { console.err(line) } else { console.out(line) }
    }

    var elapsed: TimeInterval { clock() - started }
}
