import Foundation
import ImgurAPI

/// `imgur-archive html`: static pages for reading the archive offline, in any browser, from disk.
///
/// Walks the catalog once, streamed: for each archived album it reads the folder's documents,
/// writes `<ID>/index.html`, and adds the album's card to `index.html`, which is written as it
/// goes and renamed into place at the end. Memory stays at one album whatever the archive's size.
struct HTMLRun {
    let options: HTMLOptions
    let context: RunContext
    let reporter: Reporter

    /// Catalog statuses whose folder holds the three documents.
    static let shownStatuses: Set<String> = ["complete", "partial", "metadata-only"]

    /// Runs, reporting every problem; returns the exit status.
    func run() -> ExitCode {
        do {
            return try execute()
        } catch {
            return error.report(to: reporter, console: context.console)
        }
    }

    private func execute() throws(ArchiveError) -> ExitCode {
        let layout = try StorageLayout.resolve(options.directory, in: context.currentDirectory)
        // Two runs writing the same pages at once would race on every rename; an archiving run
        // could also be halfway through an album folder.
        let lock = try RunLock.acquire(layout.lock, wait: false)
        defer { withExtendedLifetime(lock) {} }

        let index = try IndexPage(path: "\(layout.root)/index.html")
        var skipped = 0
        do {
            // No catalog yet: an empty archive, shown as such.
            if FileSystem.exists(layout.catalog) {
                try CatalogFile.forEachEntry(layout.catalog) { (id, entry) throws(ArchiveError) in
                    guard let status = entry["status"]?.stringValue, Self.shownStatuses.contains(status) else { return }
                    let album: ViewerAlbum
                    do {
                        album = try ViewerAlbum.load(id, layout: layout)
                    } catch {
                        reporter.error("album \(id) skipped: \(error)")
                        skipped += 1
                        return
                    }
                    let page = layout.folder(id) + "/index.html"
                    try Self.write(AlbumPage(album: album).render(), to: page)
                    reporter.verbose("wrote \(page)")
                    try index.add(album)
                }
            }
            try index.finish()
        } catch {
            index.discard()
            throw error
        }

        let pages = HTMLText.count(index.albumCount, "album page", "album pages")
        var summary = "wrote index.html and \(pages) in \(layout.root)"
        if skipped > 0 { summary += "; \(HTMLText.count(skipped, "album", "albums")) skipped (see above)" }
        // With --quiet a clean run prints nothing.
        if reporter.verbosity > .quiet || skipped > 0 { reporter.summary(summary) }
        return skipped > 0 ? .failure : .success
    }

    /// Writes an album page unless it already has exactly this content: a run over an unchanged
    /// archive then changes no file, and backup tools see nothing new. Not flushed to disk:
    /// the page is derived data that the next run rewrites.
    private static func write(_ html: String, to path: String) throws(ArchiveError) {
        let data = Data(html.utf8)
        if FileSystem.fileSize(path) == Int64(data.count), let existing = try? FileSystem.read(path), existing == data {
            return
        }
        try FileSystem.writeAtomically(data, to: path, durable: false)
    }
}
