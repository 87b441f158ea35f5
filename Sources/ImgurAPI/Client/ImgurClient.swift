import DurableFiles
import ExactJSON
import Foundation
import HTTPCore

/// The v3 Imgur API (docs/imgur-api.md), with a client id and, where there is a login, an
/// account's access token.
///
/// One request per album: `/3/album/{id}` carries its images. Every answer's rate-limit headers go
/// to `onRateLimit`; transient failures are retried by the `Retrier`, and a request that is not
/// idempotent (a POST) only after failures that prove Imgur did not act on it.
public struct ImgurClient: Sendable {
    public let configuration: APIConfiguration
    private let transport: any HTTPTransport
    private let retrier: Retrier
    let onRateLimit: @Sendable (RateLimitStatus) -> Void
    /// The login, when there is one: requests then carry `Authorization: Bearer`.
    public let accessTokens: (any AccessTokenSource)?

    public init(
        configuration: APIConfiguration, transport: any HTTPTransport, retrier: Retrier = Retrier(),
        accessTokens: (any AccessTokenSource)? = nil,
        onRateLimit: @escaping @Sendable (RateLimitStatus) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.transport = transport
        self.retrier = retrier
        self.accessTokens = accessTokens
        self.onRateLimit = onRateLimit
    }

    /// Whether requests go out as the logged-in account.
    public var isLoggedIn: Bool { accessTokens != nil }

    /// `GET /3/album/{id}`; when its image list is shorter than `images_count`, one more call to
    /// `/3/album/{id}/images` fills it in.
    public func album(_ id: ImgurID) async throws -> Album {
        try await completed(Album(json: try await data(["album", id.rawValue], resource: "album \(id)")), id)
    }

    /// The largest album answer read (from its spool, value by value): some 1.7 million images.
    /// Other answers are held in memory and refused past 32 MiB (docs/design.md, "Threat model").
    public static let maxAlbumAnswerBytes = 1 << 30

    /// `album(_:)` for an album of any size: its image list, exactly as listed, in an `ImageList`
    /// that moves to an unnamed file of `directory` when long, and the album without it (`images`
    /// empty; `raw` has `"images": []` in its place when the answer listed images). Memory does
    /// not grow with the album (docs/design.md, "One large album").
    public func album(_ id: ImgurID, spoolingIn directory: Directory) async throws -> (Album, ImageList) {
        let (data, images) = try await listedData(["album", id.rawValue], resource: "album \(id)", spoolingIn: directory)
        return try await completed(try Album(json: data), images, id, spoolingIn: directory)
    }

    /// `galleryItem(_:)` for a post of any size, as `album(_:spoolingIn:)`.
    public func galleryItem(_ id: ImgurID, spoolingIn directory: Directory) async throws -> (GalleryItem, ImageList) {
        let (data, images) = try await listedData(["gallery", id.rawValue], resource: "gallery post \(id)", spoolingIn: directory)
        switch try GalleryItem(json: data) {
        case .album(let album):
            let (completed, list) = try await completed(album, images, id, spoolingIn: directory)
            return (.album(completed), list)
        case .image:
            // A post that is an image keeps whatever `images` it came with, in its own object.
            guard case .object(var members) = data, members["images"] == .array([]), images.count > 0 else {
                return (try GalleryItem(json: data), ImageList())
            }
            var items: [JSONValue] = []
            try images.forEach { items.append($0) }
            members["images"] = .array(items)
            return (.image(try Image(json: .object(members))), ImageList())
        }
    }

    /// `completed(_:_:)` for an image list kept aside. A list that came from `/images` is marked
    /// in the album's `raw` (`"images": []`) as an answer's own list is.
    private func completed(
        _ album: Album, _ images: ImageList, _ id: ImgurID, spoolingIn directory: Directory
    ) async throws -> (Album, ImageList) {
        guard let count = album.imagesCount, count > images.count else { return (album, images) }
        let all: ImageList
        do {
            let (data, list) = try await listedData(
                ["album", id.rawValue, "images"], resource: "images of album \(id)", spoolingIn: directory)
            guard data.arrayValue != nil, list.count > images.count else { return (album, images) }
            all = list
        } catch ImgurAPIError.notFound {
            return (album, images)
        }
        guard case .object(var members) = album.raw, members["images"]?.arrayValue == nil else { return (album, all) }
        members["images"] = .array([])
        return (try Album(json: .object(members)), all)
    }

    /// `data(_:resource:)`, read by `APIAnswer.listedData` from a body spooled in `directory`.
    private func listedData(
        _ segments: [String], resource: String, spoolingIn directory: Directory
    ) async throws -> (data: JSONValue, images: ImageList) {
        let request = HTTPRequest(
            url: configuration.url(segments), method: "GET", headers: ["Accept": "application/json"],
            idleTimeout: configuration.idleTimeout, deadline: configuration.deadline, maxRedirects: 3)
        return try await answer(request, identity: .account, resource: resource) { signed in
            let response = try await transport.fetch(signed, spoolingIn: directory, maxBodyBytes: Self.maxAlbumAnswerBytes)
            if let limits = RateLimitStatus(headers: response.head.headers) { onRateLimit(limits) }
            return try APIAnswer.listedData(of: response, resource: resource, spillingIn: directory)
        }
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
    /// that exist (docs/imgur-api.md §6): the album is then kept with the images it came with.
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
        try await send("GET", segments, query: query, resource: resource)
    }

    /// The `data` of `<method> /3/<segments>` with `body`.
    /// - Parameters:
    ///   - idempotent: whether sending the request twice does no harm (nil: by its method).
    ///   - identity: `.anonymous` sends the client id even when logged in.
    ///   - timeouts: idle timeout and deadline; uploads need long ones (the server may take a
    ///     minute after the last byte; docs/urlsession-linux.md §7).
    public func send(
        _ method: String, _ segments: [String], query: [URLQueryItem] = [], body: HTTPBody? = nil,
        idempotent: Bool? = nil, identity: RequestIdentity = .account, resource: String,
        timeouts: (idle: TimeInterval, deadline: TimeInterval)? = nil
    ) async throws -> JSONValue {
        var url = configuration.url(segments)
        if !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = query
            url = components.url ?? url
        }
        let request = HTTPRequest(
            url: url, method: method, headers: ["Accept": "application/json"], body: body, idempotent: idempotent,
            idleTimeout: timeouts?.idle ?? configuration.idleTimeout,
            deadline: timeouts?.deadline ?? configuration.deadline, maxRedirects: 3)
        return try await answer(request, identity: identity, resource: resource)
    }

    /// `POST /oauth2/token` (outside `/3`): refresh or PIN exchange. Costs no credits; never sent
    /// with an access token. The answer has no envelope on success.
    public func oauthToken(_ fields: [(String, String)]) async throws -> JSONValue {
        let url = configuration.baseURL.appendingPathComponent("oauth2").appendingPathComponent("token")
        let request = HTTPRequest(
            url: url, method: "POST", headers: ["Accept": "application/json"], body: .form(fields),
            idempotent: true, idleTimeout: configuration.idleTimeout, deadline: configuration.deadline, maxRedirects: 0)
        return try await answer(request, identity: .anonymous, resource: "login")
    }

    /// Sends `request` with the identity's `Authorization`, retried as its idempotency allows; with
    /// a login, an access token Imgur refuses is refreshed once and the request sent again.
    private func answer(_ request: HTTPRequest, identity: RequestIdentity, resource: String) async throws -> JSONValue {
        try await answer(request, identity: identity, resource: resource) { signed in
            let response = try await transport.fetch(signed)
            if let limits = RateLimitStatus(headers: response.head.headers) { onRateLimit(limits) }
            return try APIAnswer.data(of: response, resource: resource)
        }
    }

    /// `answer(_:identity:resource:)`, each attempt fetched and read by `read`.
    private func answer<Value: Sendable>(
        _ request: HTTPRequest, identity: RequestIdentity, resource: String,
        read: @escaping @Sendable (HTTPRequest) async throws -> Value
    ) async throws -> Value {
        let tokens = identity == .account ? accessTokens : nil
        var token = try await tokens?.accessToken()
        var refreshed = false
        while true {
            var signed = request
            signed.headers["Authorization"] = token.map { "Bearer \($0)" } ?? "Client-ID \(configuration.clientID)"
            do {
                return try await retrier.run(resource, repeatable: signed.isIdempotent) { try await read(signed) }
            } catch let error as ImgurAPIError {
                guard let tokens, let rejected = token, !refreshed, error.meansTokenRejected else { throw error }
                token = try await tokens.refreshedToken(after: rejected)
                refreshed = true
            }
        }
    }
}

extension ImgurAPIError {
    /// 401, or a 403 that names the access token: what an expired or revoked token gets.
    var meansTokenRejected: Bool {
        switch self {
        case .invalidAccessToken: true
        case .forbidden(let status, _): status == 401
        default: false
        }
    }
}
