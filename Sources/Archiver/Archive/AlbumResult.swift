import Jobs
import ArchiveFormat
import ImgurAPI

/// How one album of the run ended.
enum AlbumResult: Sendable {
    case archived(AlbumReport)
    /// A complete folder a crash kept out of the catalog: its entry is added back.
    case recovered(CatalogEntry)
    /// Imgur says it does not exist: recorded in the catalog so it is not asked for again.
    case unavailable(CatalogEntry)
    /// Imgur no longer has it, but the archive does: the archived copy and its entry are kept.
    case goneFromImgur(String)
    /// Not archived; `temporary` when trying again later may work.
    case failed(String, temporary: Bool)
    /// Rate limited: left for the next run.
    case deferred(String)
    case cancelled
    /// Nothing else can succeed either (a client id Imgur refuses, a disk that fails): the run stops.
    case fatal(any Error & Sendable)
}

/// Counts for the summary and the exit status.
public struct Tally: Sendable, Equatable {
    public var archived = 0
    public var partial = 0
    public var alreadyArchived = 0
    /// Found unavailable by this run.
    public var unavailable = 0
    /// Skipped: found unavailable by an earlier run.
    public var recordedUnavailable = 0
    /// Found gone by a refresh, with the archived copy kept: what the archive is for, not a failure.
    public var goneButKept = 0
    public var failed = 0
    public var failedTemporarily = 0
    public var deferred = 0
    public var cancelled = 0
    public var invalidInputs = 0
    public var files = 0
    public var bytes: Int64 = 0

    public init() {}

    /// The counts of two runs together (`user me` archives its albums, then its loose images).
    public static func + (lhs: Tally, rhs: Tally) -> Tally {
        var sum = lhs
        sum.archived += rhs.archived
        sum.partial += rhs.partial
        sum.alreadyArchived += rhs.alreadyArchived
        sum.unavailable += rhs.unavailable
        sum.recordedUnavailable += rhs.recordedUnavailable
        sum.goneButKept += rhs.goneButKept
        sum.failed += rhs.failed
        sum.failedTemporarily += rhs.failedTemporarily
        sum.deferred += rhs.deferred
        sum.cancelled += rhs.cancelled
        sum.invalidInputs += rhs.invalidInputs
        sum.files += rhs.files
        sum.bytes += rhs.bytes
        return sum
    }

    /// Something failed for a reason that will not fix itself, some input could not be used, or
    /// this run found that Imgur no longer has something asked for.
    public var hasFailures: Bool { failed > 0 || invalidInputs > 0 || unavailable > 0 }
    /// Something is left for a later run (temporary failures, deferred or interrupted albums).
    public var hasLeftovers: Bool { failedTemporarily > 0 || deferred > 0 || cancelled > 0 }

    /// What ended the run, for the summary's wording.
    public enum Ending: Sendable {
        case finished
        /// SIGINT or SIGTERM: the cancelled albums were interrupted.
        case signal
        /// An error that stops every album (a refused client id, a failing disk): the rest were
        /// cancelled because of it, not interrupted.
        case fatalError
    }

    /// `done: 1 archived, 1 unavailable; 12 files, 34.5 MB received in 6.1s`. `receivedBytes` is
    /// every byte that arrived, partial files and resumed ranges too.
    public func summary(seconds: Double, receivedBytes: Int64, ending: Ending = .finished) -> String {
        var parts: [String] = []
        func add(_ count: Int, _ label: String) { if count > 0 { parts.append("\(count) \(label)") } }
        add(archived, "archived")
        add(partial, "partial")
        add(alreadyArchived, "already archived")
        add(unavailable + recordedUnavailable + goneButKept, "unavailable")
        add(failed + failedTemporarily, "failed")
        add(deferred, "deferred")
        switch ending {
        case .finished, .signal: add(cancelled, "interrupted")
        case .fatalError: add(cancelled, "cancelled after the error")
        }
        add(invalidInputs, "invalid \(invalidInputs == 1 ? "entry" : "entries")")
        let what = parts.isEmpty ? "nothing to do" : parts.joined(separator: ", ")
        let start = switch ending {
        case .finished: "done"
        case .signal: "stopped by a signal"
        case .fatalError: "stopped by an error"
        }
        var text = "\(start): \(what); \(TextFormat.count(files, "file", "files")), "
        text += "\(TextFormat.size(receivedBytes)) received in \(TextFormat.duration(seconds))"
        if ending != .finished, cancelled + deferred > 0 { text += "; run imgur-archive again to finish" }
        return text
    }
}
