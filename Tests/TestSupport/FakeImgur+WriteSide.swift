import Foundation

extension FakeImgur {
    /// The write side's answer to an authenticated `/3/` request, or nil to leave it to the read side.
    ///
    /// - `POST /3/image`, `POST /3/upload`: uploads (FakeImgur+Uploads.swift).
    /// - `GET /3/image/{id}` of an uploaded image; `POST`/`PUT`/`DELETE /3/image/{id or deletehash}`.
    /// - `POST /3/album`; `POST`/`PUT`/`DELETE /3/album/{id or deletehash}`, `…/add`, `…/remove_images`
    ///   (FakeImgur+Albums.swift); `GET /3/album/{id}` stays with the read side, which serves these albums.
    /// - `GET /3/account/me/…` and `/3/account/{own name}/…` with a token (FakeImgur+Account.swift).
    /// - `GET /3/credits`: the credits left, charging none (docs/imgur-api.md §6).
    static func writeSide(_ request: ServerRequest, identity: Identity, state: Locked<State>, base: String) -> ServerResponse? {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 2 else { return nil }
        let reading = request.method == "GET" || request.method == "HEAD"
        if parts.count == 2, ["image", "upload"].contains(parts[1]), request.method == "POST" {
            return upload(request, identity: identity, state: state, base: base)
        }
        if parts.count == 2, parts[1] == "credits", reading {
            return credits(state: state)
        }
        switch parts[1] {
        case "image" where parts.count == 3:
            if reading { return imageRead(parts[2], request: request, identity: identity, state: state, base: base) }
            return imageWrite(parts[2], request: request, identity: identity, state: state)
        case "album" where !reading:
            return albumWrite(Array(parts.dropFirst(2)), request: request, identity: identity, state: state)
        case "account" where reading:
            return account(Array(parts.dropFirst(2)), request: request, identity: identity, state: state, base: base)
        default:
            return nil
        }
    }

    /// `{"UserLimit","UserRemaining","UserReset","ClientLimit","ClientRemaining"}`, with the same
    /// headers as every answer; free, as Imgur's is. `UserReset` is an epoch.
    static func credits(state: Locked<State>) -> ServerResponse {
        let (limits, style) = state.withLock { ($0.rateLimit, $0.style) }
        let (client, user) = limits ?? (12_500, 500)
        let data: FakeJSON = .object([
            ("UserLimit", .number("500")), ("UserRemaining", .number("\(user)")),
            ("UserReset", .number("\(Int(Date().timeIntervalSince1970) + 3600)")),
            ("ClientLimit", .number("12500")), ("ClientRemaining", .number("\(client)")),
        ])
        return withRateLimit(.json(envelope(data, style: style)), limits)
    }

    /// What a write names with an id or deletehash.
    enum Lookup {
        case found(String)
        case notFound
        /// An id (not a deletehash) of something the sender does not own.
        case notOwner
    }

    /// A live image by deletehash (anyone may use it) or by id (its owner's token only).
    static func lookUpImage(_ key: String, identity: Identity, in state: State) -> Lookup {
        if let id = state.write.imageByDeletehash[key], state.write.images[id]?.upload.deleted == false {
            return .found(id)
        }
        guard let image = state.write.images[key], !image.upload.deleted else { return .notFound }
        return owns(identity, image.upload.account) ? .found(key) : .notOwner
    }

    /// A live album by deletehash or by id (its owner's token only).
    static func lookUpAlbum(_ key: String, identity: Identity, in state: State) -> Lookup {
        if let id = state.write.albumByDeletehash[key], state.write.albums[id]?.deleted == false {
            return .found(id)
        }
        guard let album = state.write.albums[key], !album.deleted else { return .notFound }
        return owns(identity, album.account) ? .found(key) : .notOwner
    }

    static func owns(_ identity: Identity, _ account: String?) -> Bool {
        guard let account, let user = identity.user else { return false }
        return user.username.lowercased() == account.lowercased()
    }

    /// `{"data":true,"success":true,"status":200}` in the fake's style.
    static func done(_ state: Locked<State>) -> ServerResponse {
        .json(envelope(.bool(true), style: state.withLock { $0.style }))
    }

    static func error(_ status: Int, _ message: String, _ request: ServerRequest, _ state: Locked<State>) -> ServerResponse {
        apiError(status, message, request: request.path, style: state.withLock { $0.style }, method: request.method)
    }
}
