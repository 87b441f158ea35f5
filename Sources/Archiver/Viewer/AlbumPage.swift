import ArchiveFormat
import DurableFiles
/// `<storage>/<ID>/index.html`: one album as Imgur showed it, its title and description on top,
/// then each position in `script_` order with its media and, under it, its description.
///
/// Links are relative to the album's folder (`<file>`, `../index.html`); every text is escaped.
struct AlbumPage {
    let album: ViewerAlbum

    func render() -> String {
        var html = ViewerAssets.head(
            title: "\(album.displayTitle) · Imgur archive", style: ViewerAssets.albumStyle,
            policy: ViewerAssets.albumPolicy)
        html += "<main class=\"wrap\">\n<a class=\"back\" href=\"../index.html\">← All albums</a>\n"
        html += "<h1>\(HTMLText.escape(album.displayTitle))</h1>\n"
        html += "<p class=\"meta\">\(metaLine())</p>\n"
        if let description = album.description, !description.isEmpty {
            html += "<p class=\"desc\">\(HTMLText.escape(description))</p>\n"
        }
        html += "<ol class=\"media\">\n"
        for slot in album.slots { html += item(slot) }
        html += "</ol>\n"
        html += "<footer>Archived with imgur-archive"
        // The address it came from, as text: the pages link only to files beside them.
        if let source = album.sourceURL {
            html += " from <span class=\"source\">\(HTMLText.escape(source))</span>"
        }
        html += "</footer>\n</main>\n</body>\n</html>\n"
        return html
    }

    /// `2017-07-17 · 12 items · q6i58`, and what is missing when the album is not complete.
    private func metaLine() -> String {
        var parts: [String] = []
        if let published = album.published, let day = HTMLText.day(published) {
            parts.append("<time datetime=\"\(HTMLText.attribute(published))\">\(day)</time>")
        }
        parts.append(HTMLText.count(album.slots.count, "item", "items"))
        parts.append(album.id.rawValue)
        if album.status != .complete {
            var badge = HTMLText.escape(album.status.rawValue)
            let gone = album.unavailableCount
            if gone > 0 { badge += ": \(gone) of \(album.slots.count) not archived" }
            parts.append("<span class=\"badge\">\(badge)</span>")
        }
        if let changes = album.changes {
            // The history (history_<ID>.json) keeps every earlier text and order.
            parts.append("<span class=\"badge changed\">changed since: \(HTMLText.count(changes.count, "change", "changes")) on Imgur, the last seen \(HTMLText.escape(HTMLText.day(Timestamp.iso8601(changes.last)) ?? ""))</span>")
        }
        return parts.joined(separator: " · ")
    }

    private func item(_ slot: ViewerAlbum.Slot) -> String {
        let anchor = "p\(slot.position)"
        var html = "<li id=\"\(anchor)\"><figure>\n<p class=\"pos\"><a href=\"#\(anchor)\">\(slot.position)</a>"
        if let title = slot.title { html += "<strong>\(HTMLText.escape(title))</strong>" }
        if let removed = slot.removedUpstreamAt, let day = HTMLText.day(Timestamp.iso8601(removed)) {
            html += "<span class=\"badge\">no longer on Imgur since \(day)</span>"
        }
        html += "</p>\n\(media(slot))\n"
        if let description = slot.description, !description.isEmpty {
            html += "<figcaption>\(HTMLText.escape(description))</figcaption>\n"
        }
        return html + "</figure></li>\n"
    }

    private func media(_ slot: ViewerAlbum.Slot) -> String {
        switch slot.content {
        case .image(let file, let width, let height):
            // Linked to the file itself: the browser's own viewer for zooming into a large image.
            return "<a class=\"full\" href=\"\(HTMLText.attribute(file))\"><img src=\"\(HTMLText.attribute(file))\""
                + " alt=\"Image \(slot.position)\"\(Self.size(width, height)) loading=\"lazy\" decoding=\"async\"></a>"
        case .video(let file, let width, let height, let animated):
            // A GIF kept as MP4 plays like the GIF it was: looped and silent.
            let loop = animated ? " loop muted" : ""
            return "<video src=\"\(HTMLText.attribute(file))\"\(Self.size(width, height)) controls\(loop)"
                + " preload=\"metadata\" playsinline></video>"
        case .file(let file):
            return "<div class=\"gone\"><b>not shown</b><a href=\"\(HTMLText.attribute(file))\">"
                + "\(HTMLText.escape(file))</a></div>"
        case .unavailable(let status, let detail):
            return "<div class=\"gone\" data-status=\"\(HTMLText.attribute(status))\"><b>\(HTMLText.escape(status))</b>"
                + "<span>\(HTMLText.escape(detail)) (\(HTMLText.escape(slot.mediaID)))</span></div>"
        }
    }

    /// `width`/`height` attributes, so that lazily loaded media keep their place before they load.
    static func size(_ width: Int?, _ height: Int?) -> String {
        guard let width, let height else { return "" }
        return " width=\"\(width)\" height=\"\(height)\""
    }
}
