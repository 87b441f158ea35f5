import DurableFiles
import Foundation
import ImgurAPI

/// Where everything lives in a storage directory, held open (`Directory`): album folders and the
/// files at the top are opened relative to it and never through a symlink.
///
/// ```
/// <root>/scraping_logs.json          the catalog
/// <root>/links.txt                   input, one id or URL per line
/// <root>/.imgur-archive.lock         the pid of the run holding the lock (the lock is on <root>)
/// <root>/quarantine/<ID>/            damaged copies `verify --repair` set aside
/// <root>/<ID>/<mediaID>.<ext>        media, named by validated ids only
/// <root>/<ID>/metadata_<ID>.json
/// <root>/<ID>/script_<ID>.json
/// <root>/<ID>/descriptions_<ID>.json
/// <root>/<ID>/comments_<ID>.json       with --comments, for gallery posts
/// <root>/<ID>/.<mediaID>.<ext>.part  a download in progress (resumable)
/// ```
public struct StorageLayout: Sendable {
    public let root: String
    /// The storage directory, open.
    public let directory: Directory

    public static let catalogName = "scraping_logs.json"
    public static let linksName = "links.txt"
    public static let accountsName = "accounts.json"
    public static let secretsName = "api_secrets.json"
    public static let quarantineName = "quarantine"
    public static let indexName = "index.html"

    public init(directory: Directory) {
        self.directory = directory
        root = directory.path
    }

    /// Opens the storage directory at `root`.
    public init(root: String) throws(FormatError) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        do {
            self.init(directory: try Directory.open(root))
        } catch {
            throw .storage(path: root, reason: FileSystem.exists(root) ? "not a directory" : "does not exist")
        }
    }

    /// The storage directory named by `--dir` (relative to `currentDirectory`), or the current one.
    /// - Throws: `FormatError.storage` when it does not exist or is not a directory.
    public static func resolve(_ directory: String?, in currentDirectory: String) throws(FormatError) -> StorageLayout {
        var path = directory ?? currentDirectory
        if !path.hasPrefix("/") { path = "\(currentDirectory)/\(path)" }
        path = (path as NSString).standardizingPath
        guard FileSystem.isDirectory(path) else {
            throw .storage(path: path, reason: FileSystem.exists(path) ? "not a directory" : "does not exist")
        }
        return try StorageLayout(root: path)
    }

    // Paths, for messages and for what the user names (links.txt, api_secrets.json).
    public var catalog: String { "\(root)/\(Self.catalogName)" }
    public var links: String { "\(root)/\(Self.linksName)" }
    public var accounts: String { "\(root)/\(Self.accountsName)" }
    public var lock: String { "\(root)/\(RunLock.pidFileName)" }
    public var secrets: String { "\(root)/\(Self.secretsName)" }

    public func folder(_ id: ImgurID) -> String { "\(root)/\(id.rawValue)" }
    public func metadata(_ id: ImgurID) -> String { "\(folder(id))/\(Self.metadataName(id))" }
    public func script(_ id: ImgurID) -> String { "\(folder(id))/\(Self.scriptName(id))" }
    public func descriptions(_ id: ImgurID) -> String { "\(folder(id))/\(Self.descriptionsName(id))" }
    public func comments(_ id: ImgurID) -> String { "\(folder(id))/\(Self.commentsName(id))" }
    public func media(_ album: ImgurID, _ fileName: String) -> String { "\(folder(album))/\(fileName)" }

    public static func metadataName(_ id: ImgurID) -> String { "metadata_\(id.rawValue).json" }
    public static func scriptName(_ id: ImgurID) -> String { "script_\(id.rawValue).json" }
    public static func descriptionsName(_ id: ImgurID) -> String { "descriptions_\(id.rawValue).json" }
    public static func commentsName(_ id: ImgurID) -> String { "comments_\(id.rawValue).json" }
    /// A restore of the album to Imgur: its progress and the old-to-new mapping (docs/restore-and-sync.md).
    public static func restoredName(_ id: ImgurID) -> String { "restored_\(id.rawValue).json" }
    /// An earlier, finished restore's file, kept by `restore --again`: `restored_<ID>-<n>.json`.
    public static func earlierRestoredName(_ id: ImgurID, _ number: Int) -> String { "restored_\(id.rawValue)-\(number).json" }
    public static func isEarlierRestoredName(_ name: String, of id: ImgurID) -> Bool {
        let prefix = "restored_\(id.rawValue)-"
        guard name.hasPrefix(prefix), name.hasSuffix(".json") else { return false }
        let number = name.dropFirst(prefix.count).dropLast(".json".count)
        return !number.isEmpty && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber)
    }
    /// A download in progress.
    public static func partialName(_ fileName: String) -> String { ".\(fileName).part" }
    /// The validators of a partial download (ETag, Last-Modified, length), for `If-Range`.
    public static func resumeStateName(_ fileName: String) -> String { ".\(fileName).part.json" }

    /// The album folder of `id`, opened (and created when `create`).
    /// - Throws: `FileError.unsafe` when it is a symlink: an album is never written through one.
    public func albumFolder(_ id: ImgurID, create: Bool = false) throws(FileError) -> Directory {
        try directory.subdirectory(id.rawValue, create: create)
    }

    /// Whether `id` has a real folder (not a symlink to one).
    public func hasAlbumFolder(_ id: ImgurID) -> Bool {
        directory.hasSubdirectory(id.rawValue)
    }

    /// `quarantine/<ID>`: where damaged copies of `id`'s files are kept (docs/archive-format.md).
    public func quarantine(_ id: ImgurID) throws(FileError) -> Directory {
        try directory.subdirectory(Self.quarantineName, create: true).subdirectory(id.rawValue, create: true)
    }
}
