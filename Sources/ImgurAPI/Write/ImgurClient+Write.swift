import ExactJSON
import Foundation
import HTTPCore

/// The write side of the API (docs/imgur-api.md §10, §12, §13): uploads, albums by id or
/// deletehash, deletion, and the logged-in account's own listings.
///
/// Every POST here is not idempotent: the client retries it only after failures that prove Imgur
/// did not act on it (`RetryableError.provesRequestNotProcessed`). Anything else reaches the caller,
/// which must treat the outcome as unknown.
extension ImgurClient {
    /// What an upload sends.
    public enum UploadMedia: Sendable, Equatable {
        /// A local file, streamed from a multipart body written beside it (`MultipartForm`).
        case file(path: String, fileName: String, contentType: String, isVideo: Bool)
        /// A URL Imgur fetches itself.
        case url(String)
    }

    /// The fields of one upload besides the media.
    public struct UploadFields: Sendable, Equatable {
        /// Unique per item: how a lost answer is found again in the account's images (§13).
        public var name: String?
        public var title: String?
        public var description: String?
        /// An album to add it to: an own album's id or an anonymous album's deletehash.
        public var album: String?

        public init(name: String? = nil, title: String? = nil, description: String? = nil, album: String? = nil) {
            self.name = name
            self.title = title
            self.description = description
            self.album = album
        }
    }

    /// `POST /3/image` (stills, URLs) or `POST /3/upload` (videos), with the configuration's long
    /// upload timeouts (Imgur stores and converts after the last byte), never retried after the
    /// body may have arrived.
    /// - Parameter spool: where the multipart body of a file upload is written (0600, removed after).
    public func upload(
        _ media: UploadMedia, fields: UploadFields, identity: RequestIdentity, spool: String
    ) async throws -> Uploaded {
        var parts: [MultipartForm.Part] = []
        let endpoint: String
        switch media {
        case .file(let path, let fileName, let contentType, let isVideo):
            endpoint = isVideo ? "upload" : "image"
            parts.append(.file(name: isVideo ? "video" : "image", path: path, fileName: fileName, contentType: contentType))
            parts.append(.field(name: "type", value: "file"))
        case .url(let url):
            endpoint = "image"
            parts.append(.field(name: "image", value: url))
            parts.append(.field(name: "type", value: "url"))
        }
        if let name = fields.name { parts.append(.field(name: "name", value: name)) }
        if let title = fields.title { parts.append(.field(name: "title", value: title)) }
        if let description = fields.description { parts.append(.field(name: "description", value: description)) }
        if let album = fields.album { parts.append(.field(name: "album", value: album)) }
        let body = try MultipartForm.write(parts, to: spool)
        defer { unlink(spool) }
        let data = try await send(
            "POST", [endpoint], body: body, idempotent: false, identity: identity, resource: "upload",
            timeouts: (configuration.uploadIdleTimeout, configuration.uploadDeadline))
        return try Uploaded(json: data)
    }

    /// `GET /3/image/{id}`, as an upload's answer: to follow a video's processing.
    public func uploadedImage(_ id: ImgurID, identity: RequestIdentity) async throws -> JSONValue {
        try await send("GET", ["image", id.rawValue], identity: identity, resource: "image \(id)")
    }

    /// `POST /3/album` with the images in order. Anonymous albums take deletehashes; an account's,
    /// ids. The lists go as JSON: comma lists stopped working in 2024 (§10). `cover` is an image id
    /// in the album; `privacy` is `public`, `hidden` or `secret`.
    public func createAlbum(
        title: String?, description: String?, deletehashes: [String] = [], ids: [String] = [], privacy: String? = nil,
        cover: String? = nil, identity: RequestIdentity
    ) async throws -> CreatedAlbum {
        let body = Self.albumBody(
            title: title, description: description, deletehashes: deletehashes, ids: ids, privacy: privacy, cover: cover)
        let data = try await send("POST", ["album"], body: .json(body), idempotent: false, identity: identity, resource: "new album")
        return try CreatedAlbum(json: data)
    }

    /// `PUT /3/album/{id or deletehash}`: the album's images become exactly these, in this order.
    /// Idempotent: sending it twice leaves the same album.
    public func setAlbumImages(
        _ album: String, title: String?, description: String?, deletehashes: [String] = [], ids: [String] = [],
        cover: String? = nil, identity: RequestIdentity
    ) async throws {
        let body = Self.albumBody(title: title, description: description, deletehashes: deletehashes, ids: ids, cover: cover)
        _ = try await send(
            "PUT", ["album", album], body: .json(body), idempotent: true, identity: identity, resource: "album update")
    }

    /// `GET /3/credits`: what is left of the application's daily and this address's hourly
    /// credits (docs/imgur-api.md §6). It costs none; its answer also reaches `onRateLimit`.
    public func credits() async throws -> RateLimitStatus {
        let data = try await send("GET", ["credits"], resource: "credits")
        func number(_ key: String) -> Int64? { data[key]?.int64Value.flatMap { $0 >= 0 ? $0 : nil } }
        guard let userRemaining = number("UserRemaining"), let clientRemaining = number("ClientRemaining") else {
            throw ImgurAPIError.malformedResponse("the credits answer has no UserRemaining or ClientRemaining")
        }
        let status = RateLimitStatus(
            clientLimit: number("ClientLimit"), clientRemaining: clientRemaining, userLimit: number("UserLimit"),
            userRemaining: userRemaining, userReset: number("UserReset").map { Date(timeIntervalSince1970: TimeInterval($0)) })
        onRateLimit(status)
        return status
    }

    /// `POST /3/album/{id or deletehash}/add`: appends, in this order.
    public func addToAlbum(_ album: String, deletehashes: [String] = [], ids: [String] = [], identity: RequestIdentity)
        async throws
    {
        let body = Self.albumBody(title: nil, description: nil, deletehashes: deletehashes, ids: ids)
        _ = try await send(
            "POST", ["album", album, "add"], body: .json(body), idempotent: false, identity: identity, resource: "album add")
    }

    /// `DELETE /3/image/{deletehash or id}`. Idempotent; a 404 means it is already gone.
    public func deleteImage(_ handle: String, identity: RequestIdentity) async throws {
        _ = try await send("DELETE", ["image", handle], idempotent: true, identity: identity, resource: "image")
    }

    /// `DELETE /3/album/{deletehash or id}`.
    public func deleteAlbum(_ handle: String, identity: RequestIdentity) async throws {
        _ = try await send("DELETE", ["album", handle], idempotent: true, identity: identity, resource: "album")
    }

    /// One page (from 0) of the logged-in account's own `albums` or `images`, hidden and secret
    /// ones included, newest first; an empty page is the end.
    public func ownPage(_ listing: OwnListing, page: Int) async throws -> [JSONValue] {
        let data = try await send("GET", ["account", "me", listing.rawValue, String(page)], resource: "your \(listing.rawValue)")
        guard let items = data.arrayValue else {
            throw ImgurAPIError.malformedResponse("your \(listing.rawValue) page \(page) is not a list")
        }
        return items
    }

    /// `GET /3/account/me/{albums,images}/count`.
    public func ownCount(_ listing: OwnListing) async throws -> Int {
        let data = try await send("GET", ["account", "me", listing.rawValue, "count"], resource: "your \(listing.rawValue)")
        guard let count = data.int64Value, count >= 0 else {
            throw ImgurAPIError.malformedResponse("your \(listing.rawValue) count is not a number")
        }
        return Int(count)
    }

    /// `GET /3/account/me`: the logged-in account's name.
    public func ownAccountName() async throws -> String {
        let data = try await send("GET", ["account", "me"], resource: "your account")
        guard let name = data["url"]?.nonEmptyString else { throw ImgurAPIError.malformedResponse("your account has no name") }
        return name
    }

    public enum OwnListing: String, Sendable {
        case albums, images
    }

    private static func albumBody(
        title: String?, description: String?, deletehashes: [String], ids: [String], privacy: String? = nil,
        cover: String? = nil
    ) -> Data {
        var members: [String: JSONValue] = [:]
        if let privacy { members["privacy"] = .string(privacy) }
        if let cover { members["cover"] = .string(cover) }
        if !deletehashes.isEmpty { members["deletehashes"] = .array(deletehashes.map(JSONValue.string)) }
        if !ids.isEmpty { members["ids"] = .array(ids.map(JSONValue.string)) }
        if let title { members["title"] = .string(title) }
        if let description { members["description"] = .string(description) }
        return JSONValue.object(members).serialized(.compact)
    }
}
