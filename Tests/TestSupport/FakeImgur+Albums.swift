import Foundation

extension FakeImgur {
    /// Album writes (docs/imgur-api.md §10):
    /// - `POST /3/album`: a new album of `ids[]` (the sender's own images, with a token) and then
    ///   `deletehashes[]` (anyone's), in the order given, plus `title`, `description`, `privacy`,
    ///   `cover` (an image id in the album; else its first image).
    ///   JSON arrays (`{"deletehashes":[…]}`) and repeated form or multipart fields (`deletehashes[]`)
    ///   both work; a single comma-separated field (`deletehashes=a,b`) is ignored, as Imgur has done
    ///   since late 2024, so the album is made empty. Unknown or unowned images are dropped silently.
    ///   Answers `{"id","deletehash"}`.
    /// - `POST /3/album/{id or deletehash}/add`: appends those images (ones already in it stay put).
    /// - `POST /3/album/{…}/remove_images`: removes them.
    /// - `PUT` or `POST /3/album/{…}`: replaces the content when ids or deletehashes are given, and
    ///   `title`, `description`, `privacy`, `cover` when given.
    /// - `DELETE /3/album/{…}`: deletes the album (its images stay).
    /// An id works only with its owner's token; a deletehash works for anyone.
    static func albumWrite(_ parts: [String], request: ServerRequest, identity: Identity, state: Locked<State>) -> ServerResponse {
        let directory = state.withLock { $0.write.directory }
        func answer(_ response: ServerResponse) -> ServerResponse {
            charged(response, cost: 1, method: request.method, state: state)
        }
        if parts.isEmpty {
            guard request.method == "POST" else { return answer(error(404, "Not found", request, state)) }
            guard case .success(let form) = ReceivedForm.read(request, directory: directory) else {
                return answer(error(400, "Bad Request", request, state))
            }
            return createAlbum(form, request: request, identity: identity, state: state)
        }
        let key = parts[0]
        let id: String
        switch state.withLock({ lookUpAlbum(key, identity: identity, in: $0) }) {
        case .found(let found): id = found
        case .notFound: return answer(error(404, "Unable to find an album with the id, \(key)", request, state))
        case .notOwner: return answer(error(403, "Permission denied", request, state))
        }
        if request.method == "DELETE", parts.count == 1 {
            state.withLock { state in
                state.write.albums[id]?.deleted = true
                state.publish(album: id)
                state.write.deletions.append(FakeDeletion(kind: .album, id: id, via: key, account: identity.user?.username))
            }
            return answer(done(state))
        }
        guard case .success(let form) = ReceivedForm.read(request, directory: directory) else {
            return answer(error(400, "Bad Request", request, state))
        }
        let action = parts.count == 2 ? parts[1] : nil
        guard (action == nil && ["POST", "PUT"].contains(request.method))
            || (["add", "remove_images"].contains(action) && ["POST", "PUT", "DELETE"].contains(request.method))
        else { return answer(error(404, "Not found", request, state)) }
        state.withLock { state in
            let named = images(named: form, identity: identity, in: state)
            guard var album = state.write.albums[id] else { return }
            switch action {
            case "add": album.imageIDs += named.filter { !album.imageIDs.contains($0) }
            case "remove_images": album.imageIDs.removeAll { named.contains($0) }
            default:
                if !form.all("ids[]").isEmpty || !form.all("deletehashes[]").isEmpty { album.imageIDs = named }
                if let title = form.first("title") { album.title = title }
                if let description = form.first("description") { album.description = description }
                if let privacy = form.first("privacy") { album.privacy = privacy }
                if let cover = form.first("cover") { album.cover = cover }
            }
            state.write.albums[id] = album
            state.publish(album: id)
        }
        return answer(done(state))
    }

    private static func createAlbum(
        _ form: ReceivedForm, request: ServerRequest, identity: Identity, state: Locked<State>
    ) -> ServerResponse {
        let (answer, fault) = state.withLock { state -> (FakeJSON, AfterStoring?) in
            state.write.albumCreations += 1
            let record = FakeAlbumRecord(
                id: state.newID(), deletehash: state.newDeletehash(), title: form.first("title"),
                description: form.first("description"), privacy: form.first("privacy") ?? "hidden",
                account: identity.user?.username, imageIDs: images(named: form, identity: identity, in: state),
                datetime: Int(Date().timeIntervalSince1970), deleted: false, cover: form.first("cover"))
            state.add(record)
            let json: FakeJSON = .object([("id", .string(record.id)), ("deletehash", .string(record.deletehash))])
            return (json, takeFault(upload: nil, name: nil, album: state.write.albumCreations, in: &state))
        }
        let style = state.withLock { $0.style }
        return delivered(charged(.json(envelope(answer, style: style)), cost: 1, method: request.method, state: state), fault)
    }

    /// The live images `ids[]` (the sender's own only) and `deletehashes[]` name, in that order.
    private static func images(named form: ReceivedForm, identity: Identity, in state: State) -> [String] {
        var result: [String] = []
        for id in form.all("ids[]") {
            if let image = state.write.images[id], !image.upload.deleted, owns(identity, image.upload.account) {
                result.append(id)
            }
        }
        for hash in form.all("deletehashes[]") {
            if let id = state.write.imageByDeletehash[hash], state.write.images[id]?.upload.deleted == false {
                result.append(id)
            }
        }
        var seen: Set<String> = []
        return result.filter { seen.insert($0).inserted }
    }
}

extension FakeImgur.State {
    /// Adds a new write-side album and publishes it.
    mutating func add(_ record: FakeAlbumRecord) {
        write.albums[record.id] = record
        write.albumOrder.append(record.id)
        write.albumByDeletehash[record.deletehash] = record.id
        publish(album: record.id)
    }
}
