import Foundation

/// One image stored by the fake's write side: uploaded through `POST /3/image` or `/3/upload`, or
/// seeded with ``FakeImgur/seedImage(_:owner:name:datetime:)``. What tests assert on.
public struct FakeUpload: Sendable, Equatable {
    public var id: String
    public var deletehash: String
    /// The `name` field as sent; without one, the file part's `filename`; `nil` when there was neither.
    public var name: String?
    public var title: String?
    public var description: String?
    /// Lowercase hex SHA-256 of the file bytes received, or of the URL string for `type=url`.
    public var sha256: String
    /// Bytes received (the URL string's length for `type=url`).
    public var size: Int
    /// The owning account's username; `nil` for an anonymous (Client-ID) upload.
    public var account: String?
    /// The MIME type the image record says, e.g. `image/png`, `video/mp4`.
    public var type: String
    public var isVideo: Bool
    /// Unix seconds when it was stored.
    public var datetime: Int
    /// The file part's `filename`, when there was one.
    public var fileName: String?
    /// The URL given with `type=url`.
    public var sourceURL: String?
    /// `/3/image` or `/3/upload`; `seed` for seeded images.
    public var endpoint: String
    /// `disable_audio=1` was sent.
    public var disableAudio: Bool
    /// Which upload request stored it (1 for the first `POST /3/image` or `/3/upload` the fake got,
    /// refused ones included); `nil` for seeded images.
    public var requestNumber: Int?
    public var deleted: Bool
}

/// One album of the fake's write side: made with `POST /3/album` or seeded.
public struct FakeAlbumRecord: Sendable, Equatable {
    public var id: String
    public var deletehash: String
    public var title: String?
    public var description: String?
    /// `hidden` (the default), `secret` or `public`.
    public var privacy: String
    /// The owner's username; `nil` for an anonymous album.
    public var account: String?
    /// Image ids in album order.
    public var imageIDs: [String]
    public var datetime: Int
    public var deleted: Bool
    /// The image id given as `cover`; the album shows its first image without one (or when it is
    /// not in the album).
    public var cover: String? = nil
}

/// One successful `DELETE`.
public struct FakeDeletion: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case image
        case album
    }

    public var kind: Kind
    /// The id of what was deleted.
    public var id: String
    /// What the path named: the deletehash or the id.
    public var via: String
    /// The account whose token sent it; `nil` under a client id.
    public var account: String?

    public init(kind: Kind, id: String, via: String, account: String?) {
        self.kind = kind
        self.id = id
        self.via = via
        self.account = account
    }
}

/// Who sent a `/3/` request.
enum Identity {
    case anonymous
    case account(FakeUser)

    var user: FakeUser? {
        if case .account(let user) = self { return user }
        return nil
    }
}

/// The write side's part of ``FakeImgur``'s state.
struct WriteState {
    struct StoredImage {
        var upload: FakeUpload
        /// What the API lists and the CDN serves.
        var media: FakeMedia
        /// `GET /3/image/{id}` answers still to say `pending`.
        var pendingPolls: Int
        /// The media's file in the fake's directory, for big uploads.
        var path: String?
    }

    struct AccessToken {
        var username: String
        var expires: Date
    }

    let directory: String
    var settings = FakeImgur.WriteSettings()
    var images: [String: StoredImage] = [:]
    /// Ids in the order stored.
    var imageOrder: [String] = []
    var imageByDeletehash: [String: String] = [:]
    var albums: [String: FakeAlbumRecord] = [:]
    var albumOrder: [String] = []
    var albumByDeletehash: [String: String] = [:]
    /// Registered logins by lowercased username.
    var users: [String: FakeUser] = [:]
    var accessTokens: [String: AccessToken] = [:]
    /// Refresh token → lowercased username.
    var refreshTokens: [String: String] = [:]
    var tokenRefreshes = 0
    var uploadRequests = 0
    var albumCreations = 0
    var faults: [FakeImgur.PendingFault] = []
    var post = FakeImgur.PostAllowance()
    var deletions: [FakeDeletion] = []

    init(directory: String) {
        self.directory = directory
    }

    /// A random string of `count` characters from `alphabet`, unused by any image or album.
    func newIdentifier(_ count: Int, _ alphabet: String, taken: (String) -> Bool) -> String {
        let characters = Array(alphabet)
        while true {
            let candidate = String((0..<count).map { _ in characters[Int.random(in: 0..<characters.count)] })
            if !taken(candidate) { return candidate }
        }
    }

    static let idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    static let deletehashAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
}

extension FakeImgur.State {
    /// A new 7-character id, taken by no image or album (seeded or written).
    func newID() -> String {
        write.newIdentifier(7, WriteState.idAlphabet) { albums[$0] != nil || images[$0] != nil || write.images[$0] != nil }
    }

    /// A new 15-character deletehash of `[a-z0-9]`.
    func newDeletehash() -> String {
        write.newIdentifier(15, WriteState.deletehashAlphabet) {
            write.imageByDeletehash[$0] != nil || write.albumByDeletehash[$0] != nil
        }
    }

    /// Publishes a write-side album to the read side (`GET /3/album/{id}`, `/images`), or takes it
    /// away once deleted.
    mutating func publish(album id: String) {
        guard let record = write.albums[id], !record.deleted else {
            albums[id] = nil
            return
        }
        let media = record.imageIDs.compactMap { write.images[$0].flatMap { $0.upload.deleted ? nil : $0.media } }
        let owner = record.account.flatMap { write.users[$0.lowercased()] }
        albums[id] = FakeAlbum(
            id: id, title: record.title, description: record.description, datetime: record.datetime, media: media,
            extra: [
                ("privacy", .string(record.privacy)),
                ("account_url", owner.map { .string($0.username) } ?? .null),
                ("account_id", owner.map { .number("\($0.accountID)") } ?? .null),
                ("cover", (record.cover.flatMap { record.imageIDs.contains($0) ? $0 : nil } ?? media.first?.id).map(FakeJSON.string) ?? .null),
            ])
    }

    /// Publishes a write-side image to the read side (`GET /3/image/{id}`, the CDN), or takes it away.
    mutating func publish(image id: String) {
        guard let stored = write.images[id] else { return }
        if stored.upload.deleted {
            images[id] = nil
            media[stored.media.fileName] = nil
        } else {
            images[id] = stored.media
            media[stored.media.fileName] = stored.media
        }
    }
}

extension FakeImgur {
    /// Every image of the write side (uploads and seeded ones), in the order stored, deleted ones
    /// included (with `deleted` set).
    public var uploads: [FakeUpload] {
        state.withLock { state in state.write.imageOrder.compactMap { state.write.images[$0]?.upload } }
    }

    /// The image with this id or deletehash, deleted or not.
    public func upload(_ idOrDeletehash: String) -> FakeUpload? {
        state.withLock { state in
            let id = state.write.imageByDeletehash[idOrDeletehash] ?? idOrDeletehash
            return state.write.images[id]?.upload
        }
    }

    /// How many uploads (deleted ones included, seeded ones not) were sent with this `name`.
    public func uploadCount(name: String) -> Int {
        uploads.filter { $0.endpoint != "seed" && $0.name == name }.count
    }

    /// How many uploads (deleted ones included, seeded ones not) had this SHA-256 (lowercase hex).
    public func uploadCount(sha256: String) -> Int {
        uploads.filter { $0.endpoint != "seed" && $0.sha256 == sha256.lowercased() }.count
    }

    /// Every album of the write side (made with `POST /3/album` or seeded), in the order made, deleted
    /// ones included.
    public var albumRecords: [FakeAlbumRecord] {
        state.withLock { state in state.write.albumOrder.compactMap { state.write.albums[$0] } }
    }

    /// The write-side album with this id or deletehash.
    public func albumRecord(_ idOrDeletehash: String) -> FakeAlbumRecord? {
        state.withLock { state in
            let id = state.write.albumByDeletehash[idOrDeletehash] ?? idOrDeletehash
            return state.write.albums[id]
        }
    }

    /// Every successful `DELETE`, in order.
    public var deletions: [FakeDeletion] { state.withLock { $0.write.deletions } }

    /// How many `POST /oauth2/token` refreshes succeeded.
    public var tokenRefreshCount: Int { state.withLock { $0.write.tokenRefreshes } }

    /// How many upload requests (`POST /3/image`, `/3/upload`) arrived, refused ones included.
    public var uploadRequestCount: Int { state.withLock { $0.write.uploadRequests } }
}
