import ArchiveFormat
import Archiver
import DurableFiles
import Jobs

/// `imgur-archive html`: the offline viewer's pages.
struct HTMLCommand {
    func run(_ session: Session) async throws -> ExitCode {
        // Two runs writing the same pages at once would race on every rename; an archiving run
        // could also be halfway through an album folder.
        try session.requireArchive()
        let lock = try await session.lock()
        defer { withExtendedLifetime(lock) {} }
        let written = try ViewerWriter(layout: session.layout, events: session.reporter).write()
        let pages = TextFormat.count(written.albums, "album page", "album pages")
        var summary = "wrote index.html and \(pages) in \(session.layout.root)"
        if written.skipped > 0 { summary += "; \(TextFormat.count(written.skipped, "album", "albums")) skipped (see above)" }
        // With --quiet a clean run prints nothing.
        if session.reporter.verbosity > .quiet || written.skipped > 0 { session.reporter.summary(summary) }
        return written.skipped > 0 ? .failure : .success
    }
}
