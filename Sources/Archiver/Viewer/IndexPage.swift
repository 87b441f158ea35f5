import DurableFiles
import Foundation
import Jobs

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `<storage>/index.html`: every archived album as a card (cover, title, date, item count, size),
/// in catalog order (the order they were archived), with a filter box.
///
/// Written as the catalog is read, one card at a time, into a temporary file that replaces the
/// old page only once complete: memory holds one buffer, not the archive, and a reader never sees
/// half a page.
final class IndexPage {
    let path: String
    private let directory: Directory
    private let name: String
    private let temporary: String
    private let file: OpenFile
    private var buffer = Data()
    private(set) var albumCount = 0
    /// Buffered bytes that trigger a write.
    private static let chunk = 64 * 1024

    /// Creates the temporary file and writes the top of the page.
    init(_ name: String, in directory: Directory) throws(FileError) {
        self.directory = directory
        self.name = name
        path = directory.path(name)
        (file, temporary) = try directory.createTemporary(for: name)
        buffer.reserveCapacity(Self.chunk + 4096)
        try append(
            ViewerAssets.head(title: "Imgur archive", style: ViewerAssets.indexStyle, policy: ViewerAssets.indexPolicy)
                + """
                <main class="wrap">
                <div class="top">
                <h1>Imgur archive</h1>
                <p class="order">In the order they were archived, the first at the top.</p>
                <div class="search"><span id="shown" aria-live="polite"></span><input id="filter" type="search" \
                placeholder="Filter by title, date or id" aria-label="Filter albums" autocomplete="off" hidden></div>
                </div>
                <ul class="grid" id="albums">

                """)
    }

    /// Adds the album's card, linking to `<ID>/index.html`.
    func add(_ album: ViewerAlbum) throws(FileError) {
        let folder = album.id.rawValue
        var card = "<li class=\"card\"><a href=\"\(folder)/index.html\">"
        card += Self.cover(album.cover, folder: folder)
        card += "<div class=\"info\"><h2>\(HTMLText.escape(album.displayTitle))</h2><p class=\"meta\">"
        var parts: [String] = []
        if let published = album.published, let day = HTMLText.day(published) {
            parts.append("<time datetime=\"\(HTMLText.attribute(published))\">\(day)</time>")
        }
        parts.append(HTMLText.count(album.slots.count, "item", "items"))
        if album.bytes > 0 { parts.append(TextFormat.size(album.bytes)) }
        parts.append(folder)
        if album.status != .complete { parts.append("<span class=\"badge\">\(HTMLText.escape(album.status.rawValue))</span>") }
        card += parts.joined(separator: " · ") + "</p></div></a></li>\n"
        try append(card)
        albumCount += 1
    }

    private static func cover(_ content: ViewerAlbum.Content?, folder: String) -> String {
        switch content {
        case .image(let file, _, _):
            return "<img class=\"cover\" src=\"\(folder)/\(HTMLText.attribute(file))\" alt=\"\" loading=\"lazy\" decoding=\"async\">"
        case .video(let file, _, _, _):
            return "<video class=\"cover\" src=\"\(folder)/\(HTMLText.attribute(file))\" muted preload=\"metadata\""
                + " playsinline></video>"
        case .file, .unavailable, nil:
            return "<div class=\"cover gone\">no media</div>"
        }
    }

    /// Writes the end of the page and puts it in place of the old one.
    func finish() throws(FileError) {
        var end = "</ul>\n"
        if albumCount == 0 { end += "<p class=\"empty\">No albums archived yet.</p>\n" }
        end += "<footer>\(HTMLText.count(albumCount, "album", "albums")) · archived with imgur-archive</footer>\n"
        end += "</main>\n"
        end += "<script>\(ViewerAssets.filterScript)</script>\n</body>\n</html>\n"
        do {
            try append(end)
            try flush()
            try file.sync()
            try file.close()
            try directory.rename(temporary, to: name)
        } catch {
            discard()
            throw error
        }
        directory.sync()
    }

    /// Removes the temporary file (the old page, if any, stays).
    func discard() {
        try? file.close()
        directory.remove(temporary)
    }

    private func append(_ text: String) throws(FileError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.chunk { try flush() }
    }

    private func flush() throws(FileError) {
        guard !buffer.isEmpty else { return }
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
