import ExactJSON
import Foundation

/// An album as `/3/album/{id}` returns it, images included.
public struct Album: Sendable, Equatable {
    public let id: ImgurID
    public let title: String?
    public let description: String?
    /// Publication time, unix seconds.
    public let datetime: Int64?
    /// What the API says the album holds; `images` may be shorter if the API truncated the list.
    public let imagesCount: Int64?
    public let images: [Image]
    /// Items of `images` that are not a usable media item (no valid id): left out, with why.
    public let refused: [RefusedItem]
    /// Every field the API returned, `images` included.
    public let raw: JSONValue

    /// - Throws: `ImgurAPIError.malformedResponse` when the album has no valid id. An image without
    ///   one is left out and listed in `refused`: the rest of the album is still good.
    public init(json: JSONValue) throws(ImgurAPIError) {
        guard case .object = json else { throw .malformedResponse("album is not an object") }
        guard let idText = json["id"]?.stringValue else { throw .malformedResponse("album without an id") }
        guard let id = ImgurID(idText) else {
            throw .malformedResponse("album id \(Image.printable(idText)) is not an Imgur id")
        }
        self.id = id
        title = json["title"]?.stringValue
        description = json["description"]?.stringValue
        datetime = json["datetime"]?.int64Value
        imagesCount = json["images_count"]?.int64Value
        switch json["images"] {
        case .array(let items)?:
            var images: [Image] = []
            var refused: [RefusedItem] = []
            for (index, item) in items.enumerated() {
                do {
                    images.append(try Image(json: item))
                } catch {
                    refused.append(RefusedItem(index: index + 1, reason: "\(error)"))
                }
            }
            self.images = images
            self.refused = refused
        case .null?, nil:
            images = []
            refused = []
        default:
            throw .malformedResponse("album \(id) has an `images` field that is not a list")
        }
        raw = json
    }

    /// This album with `images` replaced (from `/3/album/{id}/images` when the album's own list was short).
    public func replacingImages(_ items: [JSONValue]) throws(ImgurAPIError) -> Album {
        guard case .object(var members) = raw else { return self }
        members["images"] = .array(items)
        return try Album(json: .object(members))
    }
}

/// An item of an album's `images` that could not be used, and why.
public struct RefusedItem: Sendable, Equatable {
    /// 1-based, in the API's list.
    public let index: Int
    public let reason: String

    public init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }
}
