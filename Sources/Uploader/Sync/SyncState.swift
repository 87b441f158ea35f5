import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation

/// `sync-state.json` of the storage directory: the last state both sides agreed on
/// (docs/restore-and-sync.md, "The state file"). An `AppendLog` (one JSON object, one line per
/// record, the last copy of a key winning), 0600 because it holds deletehashes. Every change is
/// one durable append made right after Imgur did what it records, so a kill at any moment leaves
/// it consistent with Imgur, at worst one step behind (which the next run redoes idempotently, or,
/// for an upload, finds in its job).
public final class SyncState: @unchecked Sendable {
    /// A folder of `sync.txt` and its album.
    public struct Folder: Sendable, Equatable {
        public var path: String
        public var album: String?
        /// An anonymous album's only handle.
        public var deletehash: String?
        /// The upload job of the run that last uploaded into it, while it is unfinished.
        public var job: String?
        /// Whether the album was found deleted on Imgur (said once; `--push` makes a new one).
        public var albumGone = false
        /// The album sync.txt pairs the folder with, as last read: only a change of it re-pairs.
        public var paired: String?

        public init(path: String) { self.path = path }
    }

    /// A file of a folder, as last seen.
    public struct File: Sendable, Equatable {
        public enum State: String, Sendable {
            /// On Imgur as `imgurID`, in the folder's album.
            case synced
            /// Not an image or video Imgur takes (said once).
            case unsupported
            /// Gone from the folder (its image, if any, is an `Image` record now).
            case absent
        }

        public var folder: String
        /// Relative to the folder.
        public var path: String
        public var size: Int64
        /// Nanoseconds since 1970.
        public var mtime: Int64
        public var sha256: String?
        public var state: State
        public var imgurID: String?
        public var deletehash: String?
        public var link: String?
        /// Whether the album is known to hold it (an upload into it, or a listing that showed it).
        /// A moved or shared image is not, until the album's update has gone through: its absence
        /// from the listing is then work to do, not a loss on Imgur.
        public var placed = true
    }

    /// An image on Imgur that no present file stands for any more.
    public struct Image: Sendable, Equatable {
        public enum State: String, Sendable {
            /// Its file was deleted here; it stays in the album until `sync --delete`.
            case kept
            /// An older version of an edited file: out of the album, kept until `sync --delete`.
            case replaced
            /// Deleted on Imgur by `sync --delete` (or found gone there).
            case deleted
            /// Its content is a file of the folder again (that file's record has it).
            case returned
        }

        public var id: String
        public var deletehash: String?
        public var folder: String
        /// The path its file had: its place in the album's name order while it is kept.
        public var path: String
        public var sha256: String?
        public var state: State
    }

    public private(set) var folders: [String: Folder] = [:]
    public private(set) var files: [String: File] = [:]
    public private(set) var images: [String: Image] = [:]
    /// `files` and `images` by folder (path → file, id → image): a sync asks for each folder's,
    /// and filtering all of them per folder was quadratic in the number of folders.
    private var filesByFolder: [String: [String: File]] = [:]
    private var imagesByFolder: [String: [String: Image]] = [:]
    private let log: AppendLog<SyncRecord>
    private let lock = NSLock()

    public static let fileName = "sync-state.json"

    private init(log: AppendLog<SyncRecord>) {
        self.log = log
    }

    /// Opens (creating, 0600) the state file of the storage directory `root`.
    public static func open(in root: Directory) throws -> SyncState {
        let state = SyncState(log: try AppendLog<SyncRecord>.open(fileName, in: root, mode: 0o600))
        try read(into: state, from: root)
        return state
    }

    /// The state as the file has it, without opening it for writing (`--dry-run`).
    public static func snapshot(in root: Directory) throws -> (folders: [String: Folder], files: [String: File], images: [String: Image]) {
        guard root.exists(fileName) else { return ([:], [:], [:]) }
        var folders: [String: Folder] = [:]
        var files: [String: File] = [:]
        var images: [String: Image] = [:]
        try forEach(in: root) { record in
            switch record {
            case .folder(let folder): folders[folder.path] = folder
            case .file(let file): files[SyncRecord.fileKey(file.folder, file.path)] = file
            case .image(let image): images[SyncRecord.imageKey(image.folder, image.id)] = image
            }
        }
        return (folders, files, images)
    }

    private static func read(into state: SyncState, from root: Directory) throws {
        let (folders, files, images) = try snapshot(in: root)
        state.folders = folders
        state.files = files
        state.images = images
        for file in files.values { state.filesByFolder[file.folder, default: [:]][file.path] = file }
        for image in images.values { state.imagesByFolder[image.folder, default: [:]][image.id] = image }
    }

    private static func forEach(in root: Directory, _ body: (SyncRecord) -> Void) throws {
        do {
            try AppendLog<SyncRecord>.forEachEntry(fileName, in: root) { _, value in
                if let record = SyncRecord(json: value) { body(record) }
            }
        } catch let damage as AppendLog<SyncRecord>.Damage {
            throw UploadError.damagedJob(path: damage.path, reason: "line \(damage.line): \(damage.reason)")
        }
    }

    public func files(in folder: String) -> [File] {
        locked { Array(filesByFolder[folder]?.values ?? [:].values) }
    }

    public func images(in folder: String) -> [Image] {
        locked { Array(imagesByFolder[folder]?.values ?? [:].values) }
    }

    public func file(_ folder: String, _ path: String) -> File? { locked { files[SyncRecord.fileKey(folder, path)] } }

    public func save(_ folder: Folder) throws {
        try locked { () throws in
            try log.append(.folder(folder))
            folders[folder.path] = folder
        }
    }

    public func save(_ file: File) throws {
        try locked { () throws in
            try log.append(.file(file))
            files[SyncRecord.fileKey(file.folder, file.path)] = file
            filesByFolder[file.folder, default: [:]][file.path] = file
        }
    }

    public func save(_ image: Image) throws {
        try locked { () throws in
            try log.append(.image(image))
            images[SyncRecord.imageKey(image.folder, image.id)] = image
            imagesByFolder[image.folder, default: [:]][image.id] = image
        }
    }

    /// Drops superseded lines and closes the file.
    public func close() {
        locked {
            try? log.compact()
            log.close()
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// A line of the state file.
enum SyncRecord: AppendLogRecord {
    case folder(SyncState.Folder)
    case file(SyncState.File)
    case image(SyncState.Image)

    typealias Summary = Void
    var summary: Void { () }
    static var logName: String { "sync state" }
    static func summary(ofObject object: UnsafeBufferPointer<UInt8>) {}

    /// Keys are hashes of what they name: paths may hold any character, keys may not.
    static func isValidKey(_ key: String) -> Bool {
        let parts = key.split(separator: "-", maxSplits: 1)
        return parts.count == 2 && ["folder", "file", "image"].contains(String(parts[0]))
            && parts[1].utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }

    /// Per folder: an image two folders share has a record in each.
    static func imageKey(_ folder: String, _ id: String) -> String {
        "image-" + String(SHA256.hexDigest(of: Data("\(folder)\u{0}\(id)".utf8)).prefix(24))
    }

    static func fileKey(_ folder: String, _ path: String) -> String {
        "file-" + String(SHA256.hexDigest(of: Data("\(folder)\u{0}\(path)".utf8)).prefix(24))
    }

    var logKey: String {
        switch self {
        case .folder(let folder): "folder-" + String(SHA256.hexDigest(of: Data(folder.path.utf8)).prefix(24))
        case .file(let file): Self.fileKey(file.folder, file.path)
        case .image(let image): Self.imageKey(image.folder, image.id)
        }
    }

    var json: JSONValue {
        switch self {
        case .folder(let folder):
            var members: [String: JSONValue] = ["record": "folder", "path": .string(folder.path)]
            members["album"] = .optional(folder.album)
            members["deletehash"] = .optional(folder.deletehash)
            members["job"] = .optional(folder.job)
            members["album_gone"] = .bool(folder.albumGone)
            members["paired"] = .optional(folder.paired)
            return .object(members)
        case .file(let file):
            var members: [String: JSONValue] = [
                "record": "file", "folder": .string(file.folder), "path": .string(file.path), "size": .int(file.size),
                "mtime_ns": .int(file.mtime), "state": .string(file.state.rawValue),
            ]
            members["sha256"] = .optional(file.sha256)
            members["imgur_id"] = .optional(file.imgurID)
            members["deletehash"] = .optional(file.deletehash)
            members["link"] = .optional(file.link)
            members["placed"] = .bool(file.placed)
            return .object(members)
        case .image(let image):
            var members: [String: JSONValue] = [
                "record": "image", "id": .string(image.id), "folder": .string(image.folder), "path": .string(image.path),
                "state": .string(image.state.rawValue),
            ]
            members["deletehash"] = .optional(image.deletehash)
            members["sha256"] = .optional(image.sha256)
            return .object(members)
        }
    }

    init?(json: JSONValue) {
        switch json["record"]?.stringValue {
        case "folder":
            guard let path = json["path"]?.stringValue else { return nil }
            var folder = SyncState.Folder(path: path)
            folder.album = json["album"]?.stringValue
            folder.deletehash = json["deletehash"]?.stringValue
            folder.job = json["job"]?.stringValue
            folder.albumGone = json["album_gone"]?.boolValue ?? false
            folder.paired = json["paired"]?.stringValue
            self = .folder(folder)
        case "file":
            guard let folder = json["folder"]?.stringValue, let path = json["path"]?.stringValue,
                let state = json["state"]?.stringValue.flatMap(SyncState.File.State.init(rawValue:))
            else { return nil }
            var file = SyncState.File(
                folder: folder, path: path, size: json["size"]?.int64Value ?? -1, mtime: json["mtime_ns"]?.int64Value ?? -1,
                sha256: json["sha256"]?.stringValue, state: state, imgurID: json["imgur_id"]?.stringValue,
                deletehash: json["deletehash"]?.stringValue, link: json["link"]?.stringValue)
            file.placed = json["placed"]?.boolValue ?? true
            self = .file(file)
        case "image":
            guard let id = json["id"]?.stringValue, let folder = json["folder"]?.stringValue,
                let path = json["path"]?.stringValue,
                let state = json["state"]?.stringValue.flatMap(SyncState.Image.State.init(rawValue:))
            else { return nil }
            self = .image(
                SyncState.Image(
                    id: id, deletehash: json["deletehash"]?.stringValue, folder: folder, path: path,
                    sha256: json["sha256"]?.stringValue, state: state))
        default:
            return nil
        }
    }
}
