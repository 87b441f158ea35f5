import ImgurAPI

/// One thing to archive into one folder of the storage directory.
struct WorkItem: Sendable {
    enum Source: Sendable {
        /// `GET /3/album/{id}`.
        case album
        /// `GET /3/gallery/{id}`: an album or a single image (falling back to the album, then the
        /// image endpoint, when the post is no longer in the gallery).
        case gallery
        /// `GET /3/image/{id}`.
        case image
        /// An item an account listing already returned: an image is complete as listed; an album
        /// still needs `/3/album/{id}` for its images.
        case listed(GalleryItem)
    }

    let id: ImgurID
    let source: Source
}
