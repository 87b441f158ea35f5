import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI
import Jobs

/// `imgur-archive html`: static pages for reading the archive offline, in any browser, from disk.
///
/// Walks the catalog once, streamed: for each archived album it reads the folder's documents,
/// writes `<ID>/index.html`, and adds the album's card to `index.html`, which is written as it
/// goes and renamed into place at the end. Memory stays at one album whatever the archive's size.
public struct ViewerWriter: Sendable {
    /// What was written.
    public struct Written: Sendable {
        public var albums = 0
        /// Albums whose documents could not be read (reported as errors).
        public var skipped = 0
    }

    let layout: StorageLayout
    let events: any RunEvents

    public init(layout: StorageLayout, events: any RunEvents) {
        self.layout = layout
        self.events = events
    }

    /// Catalog statuses whose folder holds the three documents.
    static let shownStatuses: Set<AlbumStatus> = [.complete, .partial, .metadataOnly]

    /// Writes every page; the caller holds the storage directory's lock.
    public func write() throws -> Written {
        // Under the lock: a page a killed run was writing is only litter.
        layout.directory.removeLeftovers()
        let index = try IndexPage(StorageLayout.indexName, in: layout.directory)
        var written = Written()
        do {
            // No catalog yet: an empty archive, shown as such.
            try Catalog.forEachEntry(in: layout) { (id, entry) throws in
                    // SIGINT/SIGTERM: the old pages stay, the unfinished index is removed.
                    if Task.isCancelled { throw CancellationError() }
                    guard let status = entry["status"]?.stringValue.flatMap(AlbumStatus.init(rawValue:)),
                        Self.shownStatuses.contains(status)
                    else { return }
                    let album: ViewerAlbum
                    do {
                        album = try ViewerAlbum.load(id, layout: layout)
                    } catch {
                        // A result line: on the same stream as the summary that counts it.
                        events.result(.failed, id.rawValue, "page not written: \(error)")
                        written.skipped += 1
                        return
                    }
                    let folder = try layout.albumFolder(id)
                    try Self.write(AlbumPage(album: album).render(), to: StorageLayout.indexName, in: folder)
                    events.verbose("wrote \(folder.path(StorageLayout.indexName))")
                    try index.add(album)
            }
            try index.finish()
        } catch {
            index.discard()
            throw error
        }
        written.albums = index.albumCount
        return written
    }

    /// Writes an album page unless it already has exactly this content: a run over an unchanged
    /// archive then changes no file, and backup tools see nothing new. Not flushed to disk:
    /// the page is derived data that the next run rewrites.
    private static func write(_ html: String, to name: String, in folder: Directory) throws(FileError) {
        let data = Data(html.utf8)
        if folder.fileSize(name) == Int64(data.count), let existing = try? folder.read(name), existing == data {
            return
        }
        try folder.writeAtomically(data, to: name, durable: false)
    }
}
