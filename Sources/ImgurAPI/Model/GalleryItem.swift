import ExactJSON

/// What `/3/gallery/{id}` and account listings return: an album or a single image.
public enum GalleryItem: Sendable, Equatable {
    case album(Album)
    case image(Image)

    /// Reads an item, telling albums from images by `is_album` (or, when absent, by `images`).
    /// - Throws: `ImgurAPIError.malformedResponse` when it is neither a valid album nor image.
    public init(json: JSONValue) throws(ImgurAPIError) {
        let isAlbum = json["is_album"]?.boolValue ?? (json["images"]?.arrayValue != nil)
        self = isAlbum ? .album(try Album(json: json)) : .image(try Image(json: json))
    }

    /// Every field the API returned.
    public var raw: JSONValue {
        switch self {
        case .album(let album): album.raw
        case .image(let image): image.raw
        }
    }

    public var id: ImgurID {
        switch self {
        case .album(let album): album.id
        case .image(let image): image.id
        }
    }
}
