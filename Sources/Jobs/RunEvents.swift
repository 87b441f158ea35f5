import HTTPCore

/// How one item of a run (an album, an upload) ended, or what `verify` found: the word that starts
/// its line.
public enum Verdict: String, Sendable, CaseIterable {
    case archived, partial, alreadyArchived = "already archived", unavailable, failed, deferred
    /// Skipped: an earlier run found it unavailable (its line says when; `--refresh` asks again).
    case recordedUnavailable = "recorded unavailable"
    /// `--dry-run`: what a real run would fetch.
    case wouldArchive = "would archive"
    /// `verify`: intact, an interrupted download to finish, bytes that do not match, mended by
    /// --repair, asked for but never archived.
    case verified = "ok", incomplete, damaged, repaired, notArchived = "not archived"
    /// Uploads.
    case uploaded, uncertain, deleted
    /// `restore`: a media the archive does not hold (Imgur had removed it before), left out.
    case skipped

    /// Whether the line reports a problem (printed even under `--quiet`). An album found gone is
    /// one, on the run that finds it; later runs skip it as `recordedUnavailable`, quietly.
    public var isProblem: Bool {
        switch self {
        case .failed, .damaged, .unavailable, .notArchived: true
        default: false
        }
    }

    /// The word that starts the line.
    public var label: String {
        self == .recordedUnavailable ? "unavailable" : rawValue
    }
}

/// What a run tells its user, as it happens. The command line's `Reporter` turns these into lines
/// on stdout, diagnostics on stderr and a live status line; the layers below only say what happened.
public protocol RunEvents: Sendable {
    /// `count` more items (albums, uploads) will be reported.
    func expect(_ count: Int)
    /// Files and bytes that are known to be coming (from the API's sizes), for the progress line;
    /// negative for ones that turned out not to be needed (on disk already, not served).
    func expectFiles(_ count: Int, bytes: Int64)
    /// One of the expected items finished (in completion order; its line may wait for input order).
    func itemFinished()
    /// The line of one finished item, in input order: `archived  q6i58  12 files, 34.5 MB  "Title"`.
    func result(_ verdict: Verdict, _ subject: String, _ detail: String)
    /// A line about the run itself: `account  NAME  12 to archive from 3 pages`.
    func heading(_ label: String, _ subject: String, _ detail: String)
    func warning(_ text: String)
    func error(_ text: String)
    /// Shown unless `--quiet`.
    func note(_ text: String)
    /// Shown with `--verbose` only.
    func verbose(_ text: String)
    func retry(_ event: RetryEvent)
    /// Bytes received (or hashed) for the progress line; `fileDone` once per finished file.
    func bytesReceived(_ count: Int)
    func fileDone()
}

extension RunEvents {
    public func expectFiles(_ count: Int, bytes: Int64) {}
    public func itemFinished() {}
}
