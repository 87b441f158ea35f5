import DurableFiles
import Foundation
import Glibc

extension FakeImgur {
    /// `POST /3/image` and `POST /3/upload` (docs/imgur-api.md §10, §12).
    ///
    /// In order: the CDN refusal when switched on; 429 when the allowance cannot pay for an upload;
    /// the body (multipart read piece by piece, or a form or JSON); 400 when it holds no media, an
    /// unknown type, or too many bytes; then the upload is stored, its `album` filled, credits charged,
    /// and the answer sent, or a fault injected with ``injectAfterStoring(_:on:)``.
    static func upload(_ request: ServerRequest, identity: Identity, state: Locked<State>, base: String) -> ServerResponse {
        let (number, settings, directory) = state.withLock { state in
            state.write.uploadRequests += 1
            return (state.write.uploadRequests, state.write.settings, state.write.directory)
        }
        if settings.refusesUploadsAtCDN { return cdnRefusal(request) }
        if let refusal = uploadAllowanceRefusal(request, state: state) { return refusal }
        func refused(_ status: Int, _ message: String) -> ServerResponse {
            charged(error(status, message, request, state), cost: 1, method: request.method, state: state)
        }
        let form: ReceivedForm
        switch ReceivedForm.read(request, fileFields: ["image", "video"], directory: directory) {
        case .success(let read): form = read
        case .failure: return refused(400, "Bad Request")
        }
        guard let received = ReceivedMedia(form) else {
            if let path = form.file?.path { unlink(path) }
            return refused(400, "No image data was sent to the upload api")
        }
        guard let type = received.type else {
            if let path = received.path { unlink(path) }
            return refused(400, "File type invalid (1)")
        }
        let isVideo = type.hasPrefix("video/")
        guard received.size <= (isVideo ? settings.videoSizeLimit : settings.stillSizeLimit) else {
            if let path = received.path { unlink(path) }
            return refused(400, "File is over the size limit")
        }
        // Imgur takes a multipart file's own name when no `name` field is sent (docs §10).
        let name = form.first("name") ?? received.fileName
        let (answer, fault) = state.withLock { state -> (FakeJSON, AfterStoring?) in
            let id = state.newID()
            let deletehash = state.newDeletehash()
            let upload = FakeUpload(
                id: id, deletehash: deletehash, name: name, title: form.first("title"), description: form.first("description"),
                sha256: received.sha256, size: received.size, account: identity.user?.username, type: isVideo ? "video/mp4" : type,
                isVideo: isVideo, datetime: Int(Date().timeIntervalSince1970), fileName: received.fileName,
                sourceURL: received.sourceURL, endpoint: request.path, disableAudio: form.first("disable_audio") == "1",
                requestNumber: number, deleted: false)
            let stored = WriteState.StoredImage(
                upload: upload, media: media(for: upload, bytes: received.bytes, user: identity.user),
                pendingPolls: isVideo ? settings.videoPendingPolls : 0, path: received.path)
            state.store(stored)
            if let target = form.first("album"), case .found(let album) = lookUpAlbum(target, identity: identity, in: state) {
                state.write.albums[album]?.imageIDs.append(id)
                state.publish(album: album)
            }
            var json = stored.media.json(base: base).adding([
                ("deletehash", .string(deletehash)), ("account_id", .number("\(identity.user?.accountID ?? 0)")),
            ])
            if isVideo {
                json = json.adding([("processing", .object([("status", .string("pending"))]))])
                if settings.pendingVideoLinkWithoutExtension { json = json.adding([("link", .string("\(base)/media/\(id)."))]) }
            }
            return (json, takeFault(upload: number, name: name, album: nil, in: &state))
        }
        let style = state.withLock { $0.style }
        let response = charged(.json(envelope(answer, style: style)), cost: settings.uploadCost, method: "POST", state: state)
        return delivered(response, fault)
    }

    /// The image record (and CDN file) of a stored upload: its texts, `name`, owner and time.
    static func media(for upload: FakeUpload, bytes: Data, user: FakeUser?) -> FakeMedia {
        let ext = upload.isVideo ? "mp4" : Self.fileExtension(ofType: upload.type)
        var media = FakeMedia(
            id: upload.id, ext: ext, data: bytes, title: upload.title, description: upload.description,
            animated: upload.isVideo || upload.type == "image/gif", mp4File: upload.isVideo ? "\(upload.id).mp4" : nil)
        media.contentType = upload.type
        media.extra = [
            ("datetime", .number("\(upload.datetime)")), ("name", .string(upload.name ?? "")),
            ("account_url", user.map { .string($0.username) } ?? .null),
            ("account_id", user.map { .number("\($0.accountID)") } ?? .null),
            ("has_sound", .bool(upload.isVideo && !upload.disableAudio)),
        ]
        return media
    }

    /// `GET /3/image/{id}` of a write-side image: with `processing` for videos (counting down the
    /// pending polls) and `deletehash` for its owner. Nil for anything else (the read side answers).
    static func imageRead(
        _ id: String, request: ServerRequest, identity: Identity, state: Locked<State>, base: String
    ) -> ServerResponse? {
        let found = state.withLock { state -> (FakeJSON, WireStyle)? in
            guard var stored = state.write.images[id], !stored.upload.deleted else { return nil }
            var json = stored.media.json(base: base)
            if stored.upload.isVideo {
                let pending = stored.pendingPolls > 0
                json = json.adding([("processing", .object([("status", .string(pending ? "pending" : "completed"))]))])
                if pending, state.write.settings.pendingVideoLinkWithoutExtension {
                    json = json.adding([("link", .string("\(base)/media/\(id)."))])
                }
                stored.pendingPolls = max(0, stored.pendingPolls - 1)
                state.write.images[id] = stored
            }
            if owns(identity, stored.upload.account) { json = json.adding([("deletehash", .string(stored.upload.deletehash))]) }
            return (json, state.style)
        }
        guard let (json, style) = found else { return nil }
        return charged(.json(envelope(json, style: style)), cost: 1, method: request.method, state: state)
    }

    /// `POST`/`PUT /3/image/{id or deletehash}` (new `title`, `description`) and `DELETE` of it.
    static func imageWrite(_ key: String, request: ServerRequest, identity: Identity, state: Locked<State>) -> ServerResponse? {
        guard ["POST", "PUT", "DELETE"].contains(request.method) else { return nil }
        let lookup = state.withLock { lookUpImage(key, identity: identity, in: $0) }
        let id: String
        switch lookup {
        case .found(let found): id = found
        case .notFound:
            return charged(error(404, "Unable to find an image with the id, \(key)", request, state), cost: 1,
                method: request.method, state: state)
        case .notOwner:
            return charged(error(403, "Permission denied", request, state), cost: 1, method: request.method, state: state)
        }
        if request.method == "DELETE" {
            state.withLock { state in
                guard var stored = state.write.images[id] else { return }
                stored.upload.deleted = true
                state.write.images[id] = stored
                if let path = stored.path { unlink(path) }
                state.publish(image: id)
                for album in state.write.albumOrder where state.write.albums[album]?.imageIDs.contains(id) == true {
                    state.write.albums[album]?.imageIDs.removeAll { $0 == id }
                    state.publish(album: album)
                }
                state.write.deletions.append(FakeDeletion(kind: .image, id: id, via: key, account: identity.user?.username))
            }
            return charged(done(state), cost: 1, method: request.method, state: state)
        }
        let directory = state.withLock { $0.write.directory }
        guard case .success(let form) = ReceivedForm.read(request, directory: directory) else {
            return charged(error(400, "Bad Request", request, state), cost: 1, method: request.method, state: state)
        }
        state.withLock { state in
            guard var stored = state.write.images[id] else { return }
            if let title = form.first("title") { stored.upload.title = title }
            if let description = form.first("description") { stored.upload.description = description }
            stored.media.title = stored.upload.title
            stored.media.description = stored.upload.description
            state.write.images[id] = stored
            state.publish(image: id)
            for album in state.write.albumOrder where state.write.albums[album]?.imageIDs.contains(id) == true {
                state.publish(album: album)
            }
        }
        return charged(done(state), cost: 1, method: request.method, state: state)
    }

    /// `jpg` for `image/jpeg`, `png` for `image/png` and `image/apng`, else the subtype.
    static func fileExtension(ofType type: String) -> String {
        switch type {
        case "image/jpeg": "jpg"
        case "image/apng": "png"
        default: String(type.split(separator: "/").last ?? "bin")
        }
    }

    /// The type a file name's extension stands for, among Imgur's (docs §10).
    static func type(ofExtension ext: String) -> String? {
        switch ext.lowercased() {
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "apng": "image/apng"
        case "gif": "image/gif"
        case "tif", "tiff": "image/tiff"
        case "webp": "image/webp"
        case "mp4", "m4v": "video/mp4"
        case "webm": "video/webm"
        case "mkv": "video/x-matroska"
        case "mov": "video/quicktime"
        case "flv": "video/x-flv"
        case "avi": "video/x-msvideo"
        case "wmv": "video/x-ms-wmv"
        case "mpg", "mpeg": "video/mpeg"
        default: nil
        }
    }
}

extension FakeImgur.State {
    /// Adds a new write-side image and publishes it.
    mutating func store(_ stored: WriteState.StoredImage) {
        let id = stored.upload.id
        write.images[id] = stored
        write.imageOrder.append(id)
        write.imageByDeletehash[stored.upload.deletehash] = id
        publish(image: id)
    }
}

/// The media an upload carried: a file part, a URL (`type=url`, or an `image` text starting with
/// `http`), or base64 text.
private struct ReceivedMedia {
    var bytes: Data
    var size: Int
    var sha256: String
    /// nil when neither the part's `Content-Type`, its file name nor the field say an image or video type.
    var type: String?
    var fileName: String?
    var sourceURL: String?
    /// The upload's own copy of a big file part on disk.
    var path: String?

    init?(_ form: ReceivedForm) {
        let sentType = form.first("type")?.lowercased()
        if let file = form.file {
            size = file.size
            sha256 = file.sha256
            fileName = file.fileName
            path = file.path
            bytes = file.data ?? Self.mapped(file.path)
            type = Self.declaredType(file.contentType) ?? file.fileName.flatMap { name in
                FakeImgur.type(ofExtension: (name as NSString).pathExtension)
            } ?? (file.fieldName == "video" ? "video/mp4" : nil)
            return
        }
        guard let text = form.first("image") ?? form.first("video") else { return nil }
        if sentType == "url" || (sentType == nil && (text.hasPrefix("http://") || text.hasPrefix("https://"))) {
            let ext = URL(string: text).map { $0.pathExtension } ?? ""
            type = FakeImgur.type(ofExtension: ext) ?? "image/jpeg"
            sourceURL = text
            size = text.utf8.count
            sha256 = SHA256.hexDigest(of: Data(text.utf8))
            // Nothing is fetched: the CDN serves stand-in bytes of the URL's type.
            bytes = FakeMedia.bytes(ext: FakeImgur.fileExtension(ofType: type ?? "image/jpeg"), size: 2048, seed: text)
            return
        }
        guard let decoded = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !decoded.isEmpty else { return nil }
        bytes = decoded
        size = decoded.count
        sha256 = SHA256.hexDigest(of: decoded)
        type = Self.sniff(decoded)
    }

    private static func declaredType(_ contentType: String?) -> String? {
        guard let value = contentType.map({ HeaderParameters.parse($0).value.lowercased() }),
              value.hasPrefix("image/") || value.hasPrefix("video/")
        else { return nil }
        return value == "image/jpg" ? "image/jpeg" : value
    }

    /// The file mapped, not read: serving it later costs page cache, not heap.
    private static func mapped(_ path: String?) -> Data {
        guard let path else { return Data() }
        return (try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)) ?? Data()
    }

    private static func sniff(_ data: Data) -> String? {
        let head = [UInt8](data.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if head.starts(with: Array("GIF8".utf8)) { return "image/gif" }
        if head.count >= 8, Array(head[4..<8]) == Array("ftyp".utf8) { return "video/mp4" }
        return nil
    }
}
