import ExactJSON
import Foundation

/// One media item (image or video) as the v3 API describes it.
///
/// Typed accessors for what the archiver needs; `raw` keeps every field Imgur sent.
public struct Image: Sendable, Equatable {
    public let id: ImgurID
    public let title: String?
    public let description: String?
    /// Upload time, unix seconds.
    public let datetime: Int64?
    /// MIME type: `image/jpeg`, `image/png`, `image/gif`, `video/mp4`, ...
    public let type: String?
    public let animated: Bool
    /// What the API says the file at `link` weighs. It may disagree with the server: the archiver
    /// trusts `Content-Length` and the bytes received and records both.
    public let size: Int64?
    public let link: URL?
    /// Empty strings (seen for static images in 2024) count as absent.
    public let mp4: URL?
    public let mp4Size: Int64?
    public let raw: JSONValue

    /// - Throws: `ImgurAPIError.malformedResponse` when the id is missing or not an Imgur id.
    public init(json: JSONValue) throws(ImgurAPIError) {
        guard case .object = json else { throw .malformedResponse("media item is not an object") }
        guard let idText = json["id"]?.stringValue else { throw .malformedResponse("media item without an id") }
        guard let id = ImgurID(idText) else {
            throw .malformedResponse("media id \(Self.printable(idText)) is not an Imgur id")
        }
        self.id = id
        title = json["title"]?.stringValue
        description = json["description"]?.stringValue
        datetime = json["datetime"]?.int64Value
        type = json["type"]?.nonEmptyString
        animated = json["animated"]?.boolValue ?? false
        size = json["size"]?.int64Value
        link = Self.webURL(json["link"]?.nonEmptyString)
        mp4 = Self.webURL(json["mp4"]?.nonEmptyString)
        mp4Size = json["mp4_size"]?.int64Value
        raw = json
    }

    /// A media link as it may be fetched: https (an `http` link to a host that is not loopback is
    /// fetched over https, as i.imgur.com serves both; old answers say `http://i.imgur.com/…`), the
    /// scheme in lowercase (`HTTP://` is still a link), never with a user name or password in it
    /// (those would be sent along as `Authorization: Basic` and kept in the metadata).
    static func webURL(_ text: String?) -> URL? {
        guard let text, var components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty,
            components.user == nil, components.password == nil
        else { return nil }
        components.scheme = scheme == "http" && !APIConfiguration.isLoopback(host) ? "https" : scheme
        return components.url
    }

    /// An id from the API quoted for an error message, with control characters escaped.
    static func printable(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
        return "\"\(escaped.prefix(40))\""
    }
}
