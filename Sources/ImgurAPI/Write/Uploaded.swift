import ExactJSON
import Foundation

/// What an upload's answer says (docs/imgur-api.md §10): the new image's id, the deletehash that
/// is an anonymous upload's only handle, its link, and for a video whether Imgur is still
/// transcoding it.
public struct Uploaded: Sendable, Equatable {
    public let id: ImgurID
    public let deletehash: String
    /// May lack an extension while a video is processing (`https://i.imgur.com/ID.`).
    public let link: String?
    public let type: String?
    public let size: Int64?
    /// `processing.status` for videos: `pending` until transcoded, then `completed`; nil for images.
    public let processing: String?
    public let raw: JSONValue

    /// - Throws: `ImgurAPIError.malformedResponse` when the id or the deletehash is missing or not
    ///   of the documented shape: an upload without its deletehash can never be managed again.
    public init(json: JSONValue) throws(ImgurAPIError) {
        guard let idText = json["id"]?.stringValue, let id = ImgurID(idText) else {
            throw .malformedResponse("the upload's answer has no valid image id")
        }
        guard let hash = json["deletehash"]?.stringValue, Self.isDeletehash(hash) else {
            throw .malformedResponse("the upload's answer for \(id) has no valid deletehash")
        }
        self.id = id
        deletehash = hash
        link = json["link"]?.nonEmptyString
        type = json["type"]?.nonEmptyString
        size = json["size"]?.int64Value
        processing = json["processing"]?["status"]?.nonEmptyString
        raw = json
    }

    /// Whether the video is still being transcoded (its link may not work yet).
    public var isProcessing: Bool {
        guard let processing else { return false }
        return processing != "completed"
    }

    /// Deletehashes seen: 15 lowercase letters and digits; anything of letters and digits up to 40
    /// is accepted, so that a longer format does not make a stored image unmanageable.
    public static func isDeletehash(_ text: String) -> Bool {
        (5...40).contains(text.utf8.count)
            && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }
}

/// An album the upload created or changed: its id, and for an anonymous one the deletehash that
/// manages it.
public struct CreatedAlbum: Sendable, Equatable {
    public let id: ImgurID
    public let deletehash: String?

    public init(id: ImgurID, deletehash: String?) {
        self.id = id
        self.deletehash = deletehash
    }

    init(json: JSONValue) throws(ImgurAPIError) {
        guard let idText = json["id"]?.stringValue, let id = ImgurID(idText) else {
            throw .malformedResponse("the new album's answer has no valid id")
        }
        self.id = id
        deletehash = json["deletehash"]?.stringValue.flatMap { Uploaded.isDeletehash($0) ? $0 : nil }
    }
}
