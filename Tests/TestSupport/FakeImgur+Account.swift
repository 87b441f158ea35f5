import DurableFiles
import Foundation

extension FakeImgur {
    /// `GET /3/account/me/…`, and `/3/account/{name}/…` when the token is that account's own
    /// (docs/imgur-api.md §1, §13): the owner's view, with every album and image whatever its privacy.
    ///
    /// - `…/{me}`: the account (`id`, `url` = username).
    /// - `…/albums/{page}` (page 0 without one): albums newest first, `accountPageSize` (50) a page,
    ///   each with `privacy` and `deletehash`, without `images`; an empty page after the last.
    /// - `…/albums/count`, `…/images/count`: `data` is the number.
    /// - `…/images/{page}`: every image of the account (in albums or not) newest first, with `name`
    ///   and `deletehash`.
    /// `me` without a token gets 401 `Authentication required`; another account's name is left to
    /// the read side (``FakeAccount``).
    static func account(
        _ parts: [String], request: ServerRequest, identity: Identity, state: Locked<State>, base: String
    ) -> ServerResponse? {
        guard let who = parts.first else { return nil }
        let isMe = who.lowercased() == "me"
        guard let user = identity.user else {
            return isMe ? charged(error(401, "Authentication required", request, state), cost: 1, method: request.method, state: state) : nil
        }
        guard isMe || who.lowercased() == user.username.lowercased() else { return nil }
        let rest = Array(parts.dropFirst())
        let data = state.withLock { state -> FakeJSON? in
            let owner = user.username.lowercased()
            let pageSize = max(1, state.write.settings.accountPageSize)
            switch (rest.first, rest.count) {
            case (nil, 0):
                return .object([
                    ("id", .number("\(user.accountID)")), ("url", .string(user.username)), ("bio", .null), ("avatar", .null),
                    ("reputation", .number("0")), ("reputation_name", .string("Neutral")), ("created", .number("1500000000")),
                    ("pro_expiration", .bool(false)), ("user_follow", .object([("status", .bool(false))])),
                    ("is_blocked", .bool(false)),
                ])
            case ("albums", 1), ("albums", 2):
                let albums = state.newestFirst(state.write.albumOrder.compactMap { state.write.albums[$0] }
                    .filter { !$0.deleted && $0.account?.lowercased() == owner }, datetime: \.datetime)
                if rest.count == 2, rest[1] == "count" { return .number("\(albums.count)") }
                guard let page = rest.count == 2 ? Int(rest[1]) : 0, page >= 0 else { return nil }
                return .array(albums.dropFirst(page * pageSize).prefix(pageSize).compactMap { record in
                    state.albums[record.id]?.json(base: base).removing("images").removing("is_album")
                        .adding([("deletehash", .string(record.deletehash))])
                })
            case ("images", 1), ("images", 2):
                let images = state.newestFirst(state.write.imageOrder.compactMap { state.write.images[$0] }
                    .filter { !$0.upload.deleted && $0.upload.account?.lowercased() == owner }, datetime: \.upload.datetime)
                if rest.count == 2, rest[1] == "count" { return .number("\(images.count)") }
                guard let page = rest.count == 2 ? Int(rest[1]) : 0, page >= 0 else { return nil }
                return .array(images.dropFirst(page * pageSize).prefix(pageSize).map { stored in
                    stored.media.json(base: base).adding([("deletehash", .string(stored.upload.deletehash))])
                })
            default:
                return nil
            }
        }
        let style = state.withLock { $0.style }
        guard let data else {
            return charged(error(404, "Not found", request, state), cost: 1, method: request.method, state: state)
        }
        return charged(.json(envelope(data, style: style)), cost: 1, method: request.method, state: state)
    }

    // MARK: Seeding

    /// Adds an image `owner` (a registered ``FakeUser``'s name; nil: anonymous) already has, in no
    /// album: listed by `/3/account/me/images`, served by `GET /3/image/{id}` and the CDN, deletable.
    /// Seeded images are in ``uploads`` with `endpoint` `seed` and do not count in ``uploadCount(name:)``.
    @discardableResult
    public func seedImage(_ media: FakeMedia, owner: String?, name: String? = nil, datetime: Int = 1_600_000_000) -> FakeUpload {
        state.withLock { $0.seed(media, owner: owner, name: name, datetime: datetime) }
    }

    /// Adds an album `owner` already has, with `privacy` `hidden`, `secret` or `public`; its media
    /// become `owner`'s images (dated like the album). Readable by `GET /3/album/{id}` and listed by
    /// `/3/account/me/albums`; returns its record (with the deletehash it was given).
    @discardableResult
    public func seedAlbum(_ album: FakeAlbum, owner: String, privacy: String = "hidden") -> FakeAlbumRecord {
        state.withLock { state in
            let ids = album.media.map { state.seed($0, owner: owner, name: nil, datetime: album.datetime).id }
            let record = FakeAlbumRecord(
                id: album.id, deletehash: state.newDeletehash(), title: album.title, description: album.description,
                privacy: privacy, account: state.write.users[owner.lowercased()]?.username ?? owner, imageIDs: ids,
                datetime: album.datetime, deleted: false)
            state.add(record)
            return record
        }
    }
}

extension FakeImgur.State {
    fileprivate mutating func seed(_ media: FakeMedia, owner: String?, name: String?, datetime: Int) -> FakeUpload {
        let user = owner.flatMap { write.users[$0.lowercased()] }
        let upload = FakeUpload(
            id: media.id, deletehash: newDeletehash(), name: name, title: media.title, description: media.description,
            sha256: SHA256.hexDigest(of: media.data), size: media.data.count, account: user?.username ?? owner,
            type: media.contentType, isVideo: media.contentType.hasPrefix("video/"), datetime: datetime, fileName: nil,
            sourceURL: nil, endpoint: "seed", disableAudio: false, requestNumber: nil, deleted: false)
        var served = media
        served.extra += [
            ("datetime", .number("\(datetime)")), ("name", .string(name ?? "")),
            ("account_url", user.map { .string($0.username) } ?? .null),
            ("account_id", user.map { .number("\($0.accountID)") } ?? .null),
        ]
        write.images[media.id] = nil
        write.imageOrder.removeAll { $0 == media.id }
        store(WriteState.StoredImage(upload: upload, media: served, pendingPolls: 0, path: nil))
        return upload
    }

    /// `items` newest first: later `datetime` first, and of equal ones the later stored.
    func newestFirst<Item>(_ items: [Item], datetime: KeyPath<Item, Int>) -> [Item] {
        items.enumerated().sorted { left, right in
            let (a, b) = (left.element[keyPath: datetime], right.element[keyPath: datetime])
            return a != b ? a > b : left.offset > right.offset
        }.map(\.element)
    }
}
