import Foundation
import ImgurAPI

/// Reads a restored album back and compares it with its job: the media in order, each one's title
/// and description, the album's own texts and cover. Not bytes: Imgur recompresses and converts
/// uploads, so the archive's SHA-256 stays the identity (docs/restore-and-sync.md). An order
/// Imgur did not keep is set once more (an idempotent PUT) and read again.
struct RestoreCheck {
    let run: UploadRun

    /// What differs; empty when the album is what the archive holds.
    func check(_ file: JobFile) async throws -> [String] {
        let (job, items) = file.current
        let placed = items.filter { $0.state == .completed && ($0.inAlbum || job.album == nil) }.sorted { $0.index < $1.index }
        guard case .new(let title, let id?, let deletehash, _)? = job.album, let albumID = ImgurID(id) else {
            return try await checkImages(placed)
        }
        var album = try await run.client.album(albumID)
        let expected = placed.compactMap(\.imgurID)
        if album.images.map(\.id.rawValue) != expected {
            let byAccount = run.settings.identity == .account && run.client.isLoggedIn
            try await run.client.setAlbumImages(
                deletehash ?? id, title: nil, description: nil, deletehashes: byAccount ? [] : placed.compactMap(\.deletehash),
                ids: byAccount ? expected : [], identity: run.settings.identity)
            album = try await run.client.album(albumID)
        }
        var differences: [String] = []
        let actual = album.images.map(\.id.rawValue)
        if actual != expected {
            differences.append("Imgur did not keep the order: it lists \(actual.joined(separator: ",")), not \(expected.joined(separator: ","))")
        }
        if !same(album.title, title) { differences.append("album title: Imgur has \(quoted(album.title)), not \(quoted(title))") }
        if !same(album.description, job.description) { differences.append("album description differs from the archived one") }
        if let cover = job.coverItem.flatMap({ index in placed.first { $0.index == index }?.imgurID }),
            let shown = album.raw["cover"]?.stringValue, shown != cover
        {
            differences.append("cover: Imgur shows \(shown), not \(cover)")
        }
        if let privacy = job.privacy, let shown = album.raw["privacy"]?.stringValue, shown != privacy {
            differences.append("privacy: Imgur has \(shown), not \(privacy)")
        }
        let byID = Dictionary(album.images.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        for item in placed {
            guard let id = item.imgurID, let image = byID[id] else { continue }
            differences += texts(of: image, item)
        }
        return differences
    }

    /// A single image restored without an album: its own texts.
    private func checkImages(_ placed: [UploadItem]) async throws -> [String] {
        var differences: [String] = []
        for item in placed {
            guard let id = item.imgurID.flatMap(ImgurID.init) else { continue }
            differences += texts(of: try await run.client.image(id), item)
        }
        return differences
    }

    private func texts(of image: Image, _ item: UploadItem) -> [String] {
        let old = item.restoredFrom ?? "item \(item.index)"
        var differences: [String] = []
        if !same(image.title, item.title) { differences.append("\(image.id) (was \(old)): title \(quoted(image.title)), not \(quoted(item.title))") }
        if !same(image.description, item.description) { differences.append("\(image.id) (was \(old)): description differs from the archived one") }
        return differences
    }

    /// Imgur answers null or "" for no text.
    private func same(_ lhs: String?, _ rhs: String?) -> Bool { (lhs ?? "") == (rhs ?? "") }
    private func quoted(_ text: String?) -> String { text.map { "\"\($0)\"" } ?? "none" }
}
