import Jobs
import ArchiveFormat
import ImgurAPI

/// How one album of the run ended.
enum AlbumResult: Sendable {
    case archived(AlbumReport)
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
    public var unavailable = 0
    public var failed = 0
    public var failedTemporarily = 0
    public var deferred = 0
    public var cancelled = 0
    public var invalidInputs = 0
    public var files = 0
    public var bytes: Int64 = 0

    public init() {}

    /// Something failed for a reason that will not fix itself, or some input could not be used.
    public var hasFailures: Bool { failed > 0 || invalidInputs > 0 }
    /// Something is left for a later run (temporary failures, deferred or interrupted albums).
    public var hasLeftovers: Bool { failedTemporarily > 0 || deferred > 0 || cancelled > 0 }

    public func summary(seconds: Double) -> String {
        var parts: [String] = []
        func add(_ count: Int, _ label: String) { if count > 0 { parts.append("\(count) \(label)") } }
        add(archived, "archived")
        add(partial, "partial")
        add(alreadyArchived, "already archived")
        add(unavailable, "unavailable")
        add(failed + failedTemporarily, "failed")
        add(deferred, "deferred")
        add(cancelled, "interrupted")
        add(invalidInputs, "invalid \(invalidInputs == 1 ? "entry" : "entries")")
        let what = parts.isEmpty ? "nothing to do" : parts.joined(separator: ", ")
        return "done: \(what); \(files) files, \(TextFormat.size(bytes)) downloaded in \(TextFormat.duration(seconds))"
    }
}
