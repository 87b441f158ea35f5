import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI

/// What a restore puts back, read from an album folder through the one album-folder reader
/// (`AlbumFolder.read`): the album's texts, privacy and cover, and its media files in script order
/// with their own texts; what cannot be put back is listed with why (docs/restore-and-sync.md).
public struct RestorePlan: Sendable, Equatable {
    public struct Media: Sendable, Equatable {
        /// The archived media id.
        public let id: String
        /// The file in the album folder: the MP4 for an animated GIF kept as MP4.
        public let path: String
        public let title: String?
        public let description: String?
        /// The archive's SHA-256 and size of the file: the item's identity.
        public let sha256: String?
        public let bytes: Int64?
    }

    public let album: ImgurID
    /// The folder the plan was read from (where `restored_<ID>.json` goes).
    public let folder: String
    /// An album folder that holds a single image is restored as that image, without an album.
    public let isAlbum: Bool
    public let title: String?
    public let description: String?
    public let privacy: String
    /// The archived cover's media id, when it is one of the media put back.
    public let cover: String?
    public let media: [Media]
    /// Media that cannot be put back: (archived id, why).
    public let skipped: [(id: String, reason: String)]

    public static func == (lhs: RestorePlan, rhs: RestorePlan) -> Bool {
        lhs.album == rhs.album && lhs.media == rhs.media && lhs.skipped.map(\.id) == rhs.skipped.map(\.id)
    }

    /// Privacy words Imgur's album endpoints take.
    public static let privacies = ["public", "hidden", "secret"]

    /// The plan for the album folder `folder` (opened) of `id`; `privacy` overrides the archived one.
    /// - Throws: `UploadError.notRestorable` when the documents cannot be read.
    public static func read(_ id: ImgurID, folder: Directory, privacy: String?) throws(UploadError) -> RestorePlan {
        let reading = AlbumFolder.read(id, in: folder)
        guard let metadata = reading.metadata else {
            let why = reading.problems.first.map { "\($0)" } ?? "its metadata cannot be read"
            throw .notRestorable(album: id.rawValue, reason: why)
        }
        if reading.namesAnotherAlbum {
            throw .notRestorable(album: id.rawValue, reason: "its metadata describes another album")
        }
        var media: [Media] = []
        var skipped: [(id: String, reason: String)] = []
        for record in metadata.media.sorted(by: { $0.position < $1.position }) {
            if let why = skipReason(record, folder: folder) {
                skipped.append((record.id.rawValue, why))
                continue
            }
            let name = record.file ?? ""
            media.append(
                Media(
                    id: record.id.rawValue, path: folder.path(name), title: record.title.flatMap(nonEmpty),
                    description: record.description.flatMap(nonEmpty), sha256: record.sha256, bytes: record.bytes))
        }
        let cover = metadata.api["cover"]?.stringValue.flatMap { cover in media.contains { $0.id == cover } ? cover : nil }
        let archivedPrivacy = metadata.api["privacy"]?.stringValue.flatMap { privacies.contains($0) ? $0 : nil }
        return RestorePlan(
            album: id, folder: folder.path, isAlbum: metadata.kind == .album, title: metadata.title.flatMap(nonEmpty),
            description: metadata.description.flatMap(nonEmpty), privacy: privacy ?? archivedPrivacy ?? "hidden",
            cover: cover, media: media, skipped: skipped)
    }

    /// Why a position cannot be put back, or nil when its file is there.
    static func skipReason(_ record: MediaRecord, folder: Directory) -> String? {
        switch record.status {
        case .ok:
            guard let name = record.file, folder.exists(name), !folder.isSymlink(name) else {
                return "its file \(record.file ?? "") is missing from the album folder"
            }
            return nil
        case .removed: return "Imgur had removed it before it was archived (its placeholder was served)"
        case .missing: return "Imgur answered \(record.httpStatus.map(String.init) ?? "404") for it before it was archived"
        case .noLink: return "Imgur gave no link for it when it was archived"
        case .notDownloaded: return "it was not downloaded (--metadata-only); run imgur-archive \(record.id) first"
        case .sizeMismatch: return "it never came whole (kept aside in quarantine/)"
        }
    }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

    /// Credits and POSTs the uploads and the album cost at Imgur (docs/imgur-api.md §6).
    public static func cost(uploads: Int, album: Bool) -> (credits: Int, posts: Int) {
        (uploads * 10 + (album ? 1 : 0), uploads + (album ? 1 : 0))
    }
}
