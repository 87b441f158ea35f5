import DurableFiles
import Foundation
import ImgurAPI

/// Where everything lives in a storage directory.
///
/// ```
/// <root>/scraping_logs.json          the catalog
/// <root>/links.txt                   input, one id or URL per line
/// <root>/.imgur-archive.lock         held while a run is going
/// <root>/<ID>/<mediaID>.<ext>        media, named by validated ids only
/// <root>/<ID>/metadata_<ID>.json
/// <root>/<ID>/script_<ID>.json
/// <root>/<ID>/descriptions_<ID>.json
/// <root>/<ID>/comments_<ID>.json       with --comments, for gallery posts
/// <root>/<ID>/.<mediaID>.<ext>.part  a download in progress (resumable)
/// ```
public struct StorageLayout: Sendable, Equatable {
    public let root: String

    public init(root: String) {
        var root = root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// The storage directory named by `--dir` (relative to `currentDirectory`), or the current one.
    /// - Throws: `ArchiveError.storage` when it does not exist or is not a directory.
    public static func resolve(_ directory: String?, in currentDirectory: String) throws(FormatError) -> StorageLayout {
        var path = directory ?? currentDirectory
        if !path.hasPrefix("/") { path = "\(currentDirectory)/\(path)" }
        path = (path as NSString).standardizingPath
        guard FileSystem.isDirectory(path) else {
            throw .storage(path: path, reason: FileSystem.exists(path) ? "not a directory" : "does not exist")
        }
        return StorageLayout(root: path)
    }

    public var catalog: String { "\(root)/scraping_logs.json" }
    public var links: String { "\(root)/links.txt" }
    public var accounts: String { "\(root)/accounts.json" }
    public var lock: String { "\(root)/.imgur-archive.lock" }
    public var secrets: String { "\(root)/api_secrets.json" }

    public func folder(_ id: ImgurID) -> String { "\(root)/\(id.rawValue)" }
    public func metadata(_ id: ImgurID) -> String { "\(folder(id))/metadata_\(id.rawValue).json" }
    public func script(_ id: ImgurID) -> String { "\(folder(id))/script_\(id.rawValue).json" }
    public func descriptions(_ id: ImgurID) -> String { "\(folder(id))/descriptions_\(id.rawValue).json" }
    /// A gallery post's comments, with `--comments`.
    public func comments(_ id: ImgurID) -> String { "\(folder(id))/comments_\(id.rawValue).json" }

    public func media(_ album: ImgurID, _ fileName: String) -> String { "\(folder(album))/\(fileName)" }
    public func partial(_ album: ImgurID, _ fileName: String) -> String { "\(folder(album))/.\(fileName).part" }
    /// The validators of a partial download (ETag, Last-Modified, length), for `If-Range`.
    public func resumeState(_ album: ImgurID, _ fileName: String) -> String {
        "\(folder(album))/.\(fileName).part.json"
    }
}
