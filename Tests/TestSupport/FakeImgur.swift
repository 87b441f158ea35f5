import Foundation

/// A loopback server that answers like the Imgur API and its media CDN (docs/imgur-api.md).
///
/// - `GET /3/album/{id}` → the album with its images, in the chosen wire style.
/// - `GET /3/image/{id}` → one image.
/// - `GET /media/{file}` → media bytes, honouring `Range` / `If-Range` like a static file server.
/// - `GET /removed.png` → the 503-byte placeholder.
/// - The write side (uploads, albums, deletion, OAuth, `/3/account/me`): FakeImgur+Uploads.swift,
///   +Albums, +OAuth, +Account, +RateLimits, +Faults; inspection in +Records.
/// Faults are queued per path with `inject`, and every request is logged by the server.
public final class FakeImgur: Sendable {
    public static let clientID = "test-client-id-0123"

    /// How JSON answers are written: Imgur's 2017 samples (data first, `\/` escaped) or a 2024
    /// capture (status first, slashes plain).
    public enum WireStyle: Sendable {
        case escapedSlashesDataFirst
        case plainStatusFirst
    }

    struct State {
        var albums: [String: FakeAlbum] = [:]
        /// Files served by name.
        var media: [String: FakeMedia] = [:]
        /// The API's image record for each id (a GIF and its MP4 share an id; the GIF is the image).
        var images: [String: FakeMedia] = [:]
        /// Ids (album or media) that are gallery posts.
        var gallery: Set<String> = []
        var comments: [String: FakeJSON] = [:]
        var accounts: [String: FakeAccount] = [:]
        var faults: [String: [ServerResponse]] = [:]
        var style = WireStyle.escapedSlashesDataFirst
        var rateLimit: (client: Int, user: Int)? = (12_400, 490)
        var honourRange = true
        /// Uploads, albums made through the API, logins, allowances on POST.
        var write: WriteState
    }

    let state: Locked<State>
    public let server: LoopbackServer
    /// Where uploads' media and long request bodies (spooled by the server) are kept.
    public let directory: String
    private let ownsDirectory: Bool

    /// Starts the server. Request bodies over 8 MiB are spooled to files in `directory` and uploaded
    /// media are kept there, so big uploads cost the test process no memory; without a `directory`
    /// the fake makes a temporary one of its own and removes it when it goes away.
    public init(directory: String? = nil) throws {
        let folder = try directory ?? makeTemporaryDirectory("fake-imgur")
        self.directory = folder
        ownsDirectory = directory == nil
        let state = Locked(State(write: WriteState(directory: folder)))
        self.state = state
        // The handler needs the server's address for media links; it is read from the request's Host.
        server = try LoopbackServer(spooling: .init(threshold: 8 << 20, directory: folder)) { request in
            FakeImgur.answer(request, state: state)
        }
    }

    deinit {
        server.stop()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    public var apiBase: String { server.baseURL.absoluteString }

    /// The URL media of this server are served at.
    public func mediaURL(_ fileName: String) -> String { "\(apiBase)/media/\(fileName)" }

    public func add(_ album: FakeAlbum) {
        state.withLock { state in
            state.albums[album.id] = album
            for media in album.media {
                state.media[media.fileName] = media
                state.images[media.id] = media
            }
        }
    }

    /// Serves `media`; `listed` also makes it the API's image record for its id (pass false for the
    /// MP4 twin of an animated GIF).
    public func add(media: FakeMedia, listed: Bool = true) {
        state.withLock { state in
            state.media[media.fileName] = media
            if listed { state.images[media.id] = media }
        }
    }

    /// Makes an album or a media item (already added) a gallery post, optionally with comments.
    public func publishToGallery(_ id: String, comments: FakeJSON? = nil) {
        state.withLock { state in
            state.gallery.insert(id)
            if let comments { state.comments[id] = comments }
        }
    }

    public func add(_ account: FakeAccount) {
        state.withLock { $0.accounts[account.name.lowercased()] = account }
    }

    public func remove(album id: String) {
        state.withLock { _ = $0.albums.removeValue(forKey: id) }
    }

    public func setStyle(_ style: WireStyle) { state.withLock { $0.style = style } }
    public func setRateLimit(client: Int, user: Int) { state.withLock { $0.rateLimit = (client, user) } }
    public func setHonourRange(_ honour: Bool) { state.withLock { $0.honourRange = honour } }

    /// The next requests to `path` get these answers, in order, before normal service resumes.
    public func inject(_ path: String, _ responses: ServerResponse...) {
        state.withLock { $0.faults[path, default: []].append(contentsOf: responses) }
    }

    public var requestCount: Int { server.requestCount }
    public func requests(_ pathPrefix: String) -> [ServerRequest] { server.requests(matching: pathPrefix) }

    public func stop() { server.stop() }

    /// What the API would answer at `path`, without the credential check or queued faults: for a
    /// second server that stands in for another host.
    public func apiAnswer(_ path: String) -> ServerResponse {
        let current = state.withLock { $0 }
        return Self.api(path, state: current, base: apiBase)
    }

    // MARK: Answers

    private static func answer(_ request: ServerRequest, state: Locked<State>) -> ServerResponse {
        let path = request.path
        let snapshot = state.withLock { state -> (State, ServerResponse?) in
            if var queue = state.faults[path], !queue.isEmpty {
                let next = queue.removeFirst()
                state.faults[path] = queue
                return (state, next)
            }
            return (state, nil)
        }
        if let fault = snapshot.1 { return fault }
        let current = snapshot.0
        let base = "http://\(request.header("Host") ?? "127.0.0.1")"
        if path.hasPrefix("/oauth2/") {
            return oauth(request, state: state)
        }
        if path.hasPrefix("/3/") {
            // Our client id, the public one imgur.com's own pages send (the fallback without one), or
            // a login's access token (FakeImgur+OAuth.swift).
            let identity: Identity
            switch authenticate(request, state: state) {
            case .refused(let refusal): return refusal
            case .granted(let who): identity = who
            }
            if let written = writeSide(request, identity: identity, state: state, base: base) {
                return written
            }
            // Like Imgur's, the budget falls by one with every request.
            let limits = state.withLock { state -> (client: Int, user: Int)? in
                guard let limits = state.rateLimit else { return nil }
                state.rateLimit = (max(0, limits.client - 1), max(0, limits.user - 1))
                return state.rateLimit
            }
            return withRateLimit(api(path, state: current, base: base), limits)
        }
        if path == "/removed.png" {
            return .bytes(FakeMedia.removedPlaceholder, contentType: "image/png")
        }
        if path.hasPrefix("/media/") {
            let name = String(path.dropFirst("/media/".count))
            guard let media = current.media[name] else { return .redirect(to: "\(base)/removed.png") }
            return .file(
                media.data, contentType: media.contentType, for: request, etag: media.etag,
                honourRange: current.honourRange)
        }
        return .html("<html><head><title>imgur: the simple 404 page</title></head><body>404</body></html>", status: 404)
    }

    private static func api(_ path: String, state: State, base: String) -> ServerResponse {
        let parts = path.split(separator: "/").map(String.init)  // ["3", "album", id, ...]
        guard parts.count >= 3 else { return apiError(404, "Not found", request: path, style: state.style) }
        switch parts[1] {
        case "album":
            guard let album = state.albums[parts[2]] else {
                return apiError(404, "Unable to find an album with the id, \(parts[2])", request: path, style: state.style)
            }
            if parts.count == 4, parts[3] == "images" {
                return .json(envelope(.array(album.media.map { $0.json(base: base) }), style: state.style))
            }
            return .json(envelope(album.json(base: base), style: state.style))
        case "image":
            guard let media = state.images[parts[2]] else {
                return apiError(404, "Unable to find an image with the id, \(parts[2])", request: path, style: state.style)
            }
            return .json(envelope(media.json(base: base), style: state.style))
        case "gallery":
            let id = parts[2]
            guard state.gallery.contains(id) else {
                return apiError(404, "Unable to find a gallery post with the id, \(id)", request: path, style: state.style)
            }
            if parts.count == 4, parts[3] == "comments" {
                return .json(envelope(state.comments[id] ?? .array([]), style: state.style))
            }
            if let album = state.albums[id] {
                return .json(envelope(album.json(base: base).adding(galleryFields(isAlbum: true)), style: state.style))
            }
            if let media = state.images[id] {
                return .json(envelope(media.json(base: base).adding(galleryFields(isAlbum: false)), style: state.style))
            }
            return apiError(404, "Unable to find a gallery post with the id, \(id)", request: path, style: state.style)
        case "account":
            guard parts.count == 5, let account = state.accounts[parts[2].lowercased()], let page = Int(parts[4]) else {
                return apiError(404, "Unable to find account \(parts[2])", request: path, style: state.style)
            }
            let ids = parts[3] == "albums" ? account.albums : account.submissions
            let slice = ids.dropFirst(page * account.pageSize).prefix(account.pageSize)
            let items = slice.compactMap { id -> FakeJSON? in
                if let album = state.albums[id] {
                    // Listings carry albums without their images; the albums listing gives plain
                    // album objects, without the gallery's fields or `is_album`.
                    let listed = album.json(base: base).removing("images")
                    return parts[3] == "albums" ? listed.removing("is_album") : listed.adding(galleryFields(isAlbum: true))
                }
                return state.images[id]?.json(base: base)
                    .adding(galleryFields(isAlbum: false))
            }
            return .json(envelope(.array(items), style: state.style))
        default:
            return apiError(404, "Not found", request: path, style: state.style)
        }
    }

    private static func galleryFields(isAlbum: Bool) -> [(String, FakeJSON)] {
        [("is_album", .bool(isAlbum)), ("in_gallery", .bool(true)), ("ups", .number("12")), ("downs", .number("1")),
         ("points", .number("11")), ("score", .number("11")), ("comment_count", .number("2")), ("topic", .null)]
    }

    static func withRateLimit(_ response: ServerResponse, _ limits: (client: Int, user: Int)?) -> ServerResponse {
        guard let limits else { return response }
        var response = response
        response.headers += [
            ("X-RateLimit-UserLimit", "500"), ("X-RateLimit-UserRemaining", "\(limits.user)"),
            ("X-RateLimit-UserReset", "\(Int(Date().timeIntervalSince1970) + 3600)"),
            ("X-RateLimit-ClientLimit", "12500"), ("X-RateLimit-ClientRemaining", "\(limits.client)"),
        ]
        return response
    }

    public static func envelope(_ data: FakeJSON, style: WireStyle, status: Int = 200, success: Bool = true) -> String {
        switch style {
        case .escapedSlashesDataFirst:
            return "{\"data\":\(data.text(escapeSlashes: true)),\"success\":\(success),\"status\":\(status)}"
        case .plainStatusFirst:
            return "{\"status\":\(status),\"success\":\(success),\"data\":\(data.text(escapeSlashes: false))}"
        }
    }

    /// A v3 error answer: `{"data":{"error":…,"request":…,"method":"GET"},"success":false,"status":…}`.
    public static func apiError(
        _ status: Int, _ message: String, request: String, style: WireStyle = .escapedSlashesDataFirst, method: String = "GET"
    ) -> ServerResponse {
        let data: FakeJSON = .object([("error", .string(message)), ("request", .string(request)), ("method", .string(method))])
        return .json(envelope(data, style: style, status: status, success: false), status: status)
    }
}

/// An account: what its submissions and albums listings list, newest first, `pageSize` a page.
public struct FakeAccount: Sendable {
    public var name: String
    /// Album or media ids (added to the fake API separately).
    public var submissions: [String]
    public var albums: [String]
    public var pageSize: Int

    public init(name: String, submissions: [String] = [], albums: [String] = [], pageSize: Int = 3) {
        self.name = name
        self.submissions = submissions
        self.albums = albums
        self.pageSize = pageSize
    }
}

/// An album the fake API serves.
public struct FakeAlbum: Sendable {
    public var id: String
    public var title: String?
    public var description: String?
    public var datetime: Int
    public var media: [FakeMedia]
    /// Raw JSON members added to (or replacing) the album object.
    public var extra: [(String, FakeJSON)]

    public init(
        id: String, title: String? = "An album", description: String? = nil, datetime: Int = 1_500_000_000,
        media: [FakeMedia], extra: [(String, FakeJSON)] = []
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.datetime = datetime
        self.media = media
        self.extra = extra
    }

    func json(base: String) -> FakeJSON {
        var members: [(String, FakeJSON)] = [
            ("id", .string(id)), ("title", title.map(FakeJSON.string) ?? .null),
            ("description", description.map(FakeJSON.string) ?? .null), ("datetime", .number("\(datetime)")),
            ("cover", media.first.map { .string($0.id) } ?? .null), ("cover_width", .number("640")),
            ("cover_height", .number("480")), ("account_url", .null), ("account_id", .null),
            ("privacy", .string("hidden")), ("layout", .string("blog")), ("views", .number("7050020626740")),
            ("link", .string("https://imgur.com/a/\(id)")), ("favorite", .bool(false)), ("nsfw", .null),
            ("section", .null), ("images_count", .number("\(media.count)")), ("in_gallery", .bool(false)),
            ("is_ad", .bool(false)), ("include_album_ads", .bool(false)), ("is_album", .bool(true)),
            ("images", .array(media.map { $0.json(base: base) })),
        ]
        for (key, value) in extra {
            members.removeAll { $0.0 == key }
            members.append((key, value))
        }
        return .object(members)
    }
}

/// A media file the fake API lists and the fake CDN serves.
public struct FakeMedia: Sendable {
    public var id: String
    public var ext: String
    public var contentType: String
    public var data: Data
    public var title: String?
    public var description: String?
    public var animated: Bool
    /// The `size` field; defaults to the real length.
    public var apiSize: Int?
    /// An `mp4` field pointing at another file of the server (animated GIFs).
    public var mp4File: String?
    public var extra: [(String, FakeJSON)]

    public init(
        id: String, ext: String = "jpg", data: Data? = nil, size: Int = 2048, title: String? = nil,
        description: String? = nil, animated: Bool = false, apiSize: Int? = nil, mp4File: String? = nil,
        extra: [(String, FakeJSON)] = []
    ) {
        self.id = id
        self.ext = ext
        contentType = FakeMedia.mime(ext)
        self.data = data ?? FakeMedia.bytes(ext: ext, size: size, seed: id)
        self.title = title
        self.description = description
        self.animated = animated
        self.apiSize = apiSize
        self.mp4File = mp4File
        self.extra = extra
    }

    public var fileName: String { "\(id).\(ext)" }

    /// Three media of an ordinary album: a large JPEG with a description, a small PNG without one,
    /// an MP4 with a two-line description.
    public static func sampleAlbum(_ prefix: String = "A") -> [FakeMedia] {
        [
            FakeMedia(id: "\(prefix)AAAAAA", ext: "jpg", size: 70_000, description: "first step"),
            FakeMedia(id: "\(prefix)BBBBBB", ext: "png", size: 3_000),
            FakeMedia(id: "\(prefix)CCCCCC", ext: "mp4", size: 250_000, description: "a video\nwith two lines"),
        ]
    }
    public var etag: String { "\"e-\(id)-\(data.count)\"" }

    func json(base: String) -> FakeJSON {
        var members: [(String, FakeJSON)] = [
            ("id", .string(id)), ("title", title.map(FakeJSON.string) ?? .null),
            ("description", description.map(FakeJSON.string) ?? .null), ("datetime", .number("1500000001")),
            ("type", .string(contentType)), ("animated", .bool(animated)), ("width", .number("640")),
            ("height", .number("480")), ("size", .number("\(apiSize ?? data.count)")), ("views", .number("12")),
            ("bandwidth", .number("7050020626740")), ("vote", .null), ("favorite", .bool(false)), ("nsfw", .null),
            ("section", .null), ("account_url", .null), ("account_id", .null), ("is_ad", .bool(false)),
            ("in_most_viral", .bool(false)), ("has_sound", .bool(false)), ("tags", .array([])),
            ("ad_type", .number("0")), ("ad_url", .string("")), ("edited", .string("0")), ("in_gallery", .bool(false)),
            ("link", .string("\(base)/media/\(fileName)")),
            ("mp4", .string(mp4File.map { "\(base)/media/\($0)" } ?? "")), ("hls", .string("")),
        ]
        for (key, value) in extra {
            members.removeAll { $0.0 == key }
            members.append((key, value))
        }
        return .object(members)
    }

    public static func mime(_ ext: String) -> String {
        switch ext {
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "gif": "image/gif"
        case "mp4": "video/mp4"
        case "webp": "image/webp"
        default: "application/octet-stream"
        }
    }

    /// Deterministic bytes that start with the right signature for `ext`.
    public static func bytes(ext: String, size: Int, seed: String) -> Data {
        let header: [UInt8]
        switch ext {
        case "jpg", "jpeg": header = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0]
        case "png": header = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        case "gif": header = Array("GIF89a".utf8) + [0x80, 0x02, 0xE0, 0x01, 0xF7, 0, 0]
        case "mp4": header = [0, 0, 0, 0x20] + Array("ftypisom".utf8) + [0, 0, 2, 0]
        default: header = []
        }
        var generator = SeededGenerator(seed: seed)
        var bytes = header
        bytes.reserveCapacity(size)
        while bytes.count < size { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        return Data(bytes.prefix(max(size, header.count)))
    }

    /// Imgur's removed.png placeholder: 503 bytes of PNG.
    public static let removedPlaceholder = bytes(ext: "png", size: 503, seed: "removed")
}

/// JSON text built member by member, so tests control key order and slash escaping exactly.
public indirect enum FakeJSON: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([FakeJSON])
    case object([(String, FakeJSON)])

    /// This object with `members` added (replacing any of the same name).
    public func adding(_ members: [(String, FakeJSON)]) -> FakeJSON {
        guard case .object(var existing) = self else { return self }
        for (key, value) in members {
            existing.removeAll { $0.0 == key }
            existing.append((key, value))
        }
        return .object(existing)
    }

    public func removing(_ key: String) -> FakeJSON {
        guard case .object(var existing) = self else { return self }
        existing.removeAll { $0.0 == key }
        return .object(existing)
    }

    public func text(escapeSlashes: Bool) -> String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value): return value
        case .string(let value): return Self.quote(value, escapeSlashes: escapeSlashes)
        case .array(let items): return "[" + items.map { $0.text(escapeSlashes: escapeSlashes) }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.quote($0.0, escapeSlashes: escapeSlashes) + ":" + $0.1.text(escapeSlashes: escapeSlashes) }
                .joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String, escapeSlashes: Bool) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/": out += escapeSlashes ? "\\/" : "/"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else if escapeSlashes && scalar.value > 0x7E {
                    // The 2017 samples also escape non-ASCII; surrogate pairs beyond the BMP.
                    if scalar.value > 0xFFFF {
                        let value = scalar.value - 0x10000
                        out += String(format: "\\u%04x\\u%04x", 0xD800 + (value >> 10), 0xDC00 + (value & 0x3FF))
                    } else {
                        out += String(format: "\\u%04x", scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// SplitMix64: the same bytes for the same seed on every run.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: String) {
        state = seed.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
