import Foundation

/// The v3 Imgur API, read-only, with a Client-ID.
///
/// One request per album: `/3/album/{id}` carries its images. Every answer's rate-limit headers go
/// to `onRateLimit`; transient failures are retried by the `Retrier`.
public struct ImgurClient: Sendable {
    public let configuration: APIConfiguration
    private let transport: any HTTPTransport
    private let retrier: Retrier
    private let onRateLimit: @Sendable (RateLimitStatus) -> Void

    public init(
        configuration: APIConfiguration, transport: any HTTPTransport, retrier: Retrier = Retrier(),
        onRateLimit: @escaping @Sendable (RateLimitStatus) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.transport = transport
        self.retrier = retrier
        self.onRateLimit = onRateLimit
    }

    /// `GET /3/album/{id}`; when its image list is shorter than `images_count`, one more call to
    /// `/3/album/{id}/images` fills it in.
    public func album(_ id: ImgurID) async throws -> Album {
        try await completed(Album(json: try await data(["album", id.rawValue], resource: "album \(id)")), id)
    }

    /// `GET /3/image/{id}`.
    public func image(_ id: ImgurID) async throws -> Image {
        try Image(json: try await data(["image", id.rawValue], resource: "image \(id)"))
    }

    /// `GET /3/gallery/{id}`: a gallery post, album or image. An album whose image list is short
    /// is completed from `/3/album/{id}/images`, as for `album(_:)`.
    public func galleryItem(_ id: ImgurID) async throws -> GalleryItem {
        let item = try GalleryItem(json: try await data(["gallery", id.rawValue], resource: "gallery post \(id)"))
        guard case .album(let album) = item else { return item }
        return .album(try await completed(album, id))
    }

    /// The album with its whole image list: when the list is shorter than `images_count`, one call
    /// to `/3/album/{id}/images` (documented as never paged). That call has answered 404 for albums
    /// that exist (`imgur-api.md` §6): the album is then kept with the images it came with.
    private func completed(_ album: Album, _ id: ImgurID) async throws -> Album {
        guard let count = album.imagesCount, count > album.images.count else { return album }
        let items: JSONValue
        do {
            items = try await data(["album", id.rawValue, "images"], resource: "images of album \(id)")
        } catch ImgurAPIError.notFound {
            return album
        }
        guard let list = items.arrayValue, list.count > album.images.count else { return album }
        return try album.replacingImages(list)
    }

    /// `GET /3/gallery/{id}/comments`: the comments of a gallery post, as the API returns them.
    public func comments(_ id: ImgurID) async throws -> JSONValue {
        try await data(["gallery", id.rawValue, "comments"], resource: "comments of \(id)")
    }

    /// Which listing of an account to page through.
    public enum AccountListing: String, Sendable, CaseIterable {
        /// `/3/account/{user}/submissions/{page}`: gallery posts, albums and images, full objects.
        case submissions
        /// `/3/account/{user}/albums/{page}`: the account's public albums, without their images.
        case albums
    }

    /// One page of an account listing, counted from 0; an empty list means the end.
    public func accountPage(_ user: String, _ listing: AccountListing, page: Int) async throws -> [JSONValue] {
        let data = try await data(
            ["account", user, listing.rawValue, String(page)], resource: "account \(user)")
        guard let items = data.arrayValue else {
            throw ImgurAPIError.malformedResponse("account \(user) \(listing.rawValue) page \(page) is not a list")
        }
        return items
    }

    /// The `data` of `GET /3/<segments>`, retried while failures are transient.
    public func data(_ segments: [String], query: [URLQueryItem] = [], resource: String) async throws -> JSONValue {
        var url = configuration.url(segments)
        if !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = query
            url = components.url ?? url
        }
        let request = HTTPRequest(
            url: url,
            headers: ["Authorization": "Client-ID \(configuration.clientID)", "Accept": "application/json"],
            idleTimeout: configuration.idleTimeout, deadline: configuration.deadline, maxRedirects: 3)
        return try await retrier.run(resource) {
            let response = try await transport.fetch(request)
            if let limits = RateLimitStatus(headers: response.head.headers) { onRateLimit(limits) }
            return try APIAnswer.data(of: response, resource: resource)
        }
    }
}
