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
    /// Nothing else can succeed either (bad client id, disk full): the run stops.
    case fatal(ArchiveError)
}

/// Counts for the summary and the exit status.
struct Tally: Sendable {
    var archived = 0
    var partial = 0
    var alreadyArchived = 0
    var unavailable = 0
    var failed = 0
    var failedTemporarily = 0
    var deferred = 0
    var cancelled = 0
    var invalidInputs = 0
    var files = 0
    var bytes: Int64 = 0

    /// The exit status when no fatal error and no signal ended the run.
    var exitCode: ExitCode {
        if failed > 0 || invalidInputs > 0 { return .failure }
        if failedTemporarily > 0 || deferred > 0 || cancelled > 0 { return .temporary }
        return .success
    }

    func summary(seconds: Double) -> String {
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
        return "done: \(what); \(files) files, \(Reporter.size(bytes)) downloaded in \(Reporter.duration(seconds))"
    }
}
