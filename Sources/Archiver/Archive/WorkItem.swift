import ArchiveFormat
import ExactJSON
import ImgurAPI

/// One thing to archive into one folder of the storage directory.
public struct WorkItem: Sendable {
    public enum Source: Sendable {
        /// `GET /3/album/{id}`.
        case album
        /// A bare id: `GET /3/album/{id}`, then on 404 `GET /3/image/{id}`.
        case albumOrImage
        /// `GET /3/gallery/{id}`: an album or a single image (falling back to the album, then the
        /// image endpoint, when the post is no longer in the gallery).
        case gallery
        /// `GET /3/image/{id}`.
        case image
        /// An item an account listing already returned: an image is complete as listed; an album
        /// still needs `/3/album/{id}` for its images.
        case listed(GalleryItem)
        /// A complete folder a crash kept out of the catalog: its entry is added back, in input
        /// order like every other commit, without a request.
        case recovered(CatalogEntry)
    }

    public let id: ImgurID
    public let source: Source

    /// What this item asks Imgur for: what a 404 to it says does not exist.
    public var lookups: AlbumKinds {
        switch source {
        case .album: .album
        case .image: .image
        case .albumOrImage, .gallery: [.album, .image]
        case .listed(.album): .album
        case .listed(.image): .image
        case .recovered(let entry): AlbumKinds(entry.kind)
        }
    }
    /// Which file to keep for animated media, when this item must differ from the run's choice
    /// (a repair fetches the format the album was archived in).
    public var animated: AnimatedFormat?

    public init(id: ImgurID, source: Source, animated: AnimatedFormat? = nil) {
        self.id = id
        self.source = source
        self.animated = animated
    }

    /// The item that fetches an archived folder of `kind` again.
    public static func refetch(_ id: ImgurID, kind: AlbumKind, animated: AnimatedFormat) -> WorkItem {
        WorkItem(id: id, source: kind == .image ? .image : .album, animated: animated)
    }
}
