import Foundation
import ImgurAPI

/// `sync.txt` of the storage directory (docs/restore-and-sync.md, "sync.txt"): one entry a line.
///
/// ```
/// # lines that start with # are comments; blank lines are ignored
/// /home/me/Pictures/holiday             a folder: a new album on the first sync
/// photos/cats  AbC12de                  a folder paired with an album (relative to the storage directory)
/// https://imgur.com/a/q6i58             an album alone: archived, as `imgur-archive q6i58` does
/// ```
///
/// A line whose last word is an album id or URL, after a folder, pairs them; a line that is one
/// album id or Imgur URL alone is archived, unless a folder of that name is in the storage
/// directory. Anything else is a folder (`./holiday` is always one).
public struct SyncList: Sendable, Equatable {
    public struct Pair: Sendable, Equatable {
        /// Absolute, standardized.
        public let folder: String
        /// The album to pair it with, when given.
        public let album: ImgurID?
        public let line: Int
    }

    public var pairs: [Pair] = []
    /// Albums to archive.
    public var albums: [ImgurID] = []
    /// Lines that could not be used, with why (`sync.txt:3: …`).
    public var problems: [String] = []

    public static let fileName = "sync.txt"

    public static func parse(_ text: String, base: String) -> SyncList {
        var list = SyncList()
        var seen: Set<String> = []
        // Every listed folder by its line, and every folder that holds one (its first) by that
        // one's line: nesting is then two lookups per line, not a comparison with every line before.
        var listedAt: [String: Int] = [:]
        var holderOf: [String: Int] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            // Only a line that starts with # is a comment: a folder may have one in its name.
            let line = String(raw).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            var folder = line
            var album: ImgurID?
            var isDirectory: ObjCBool = false
            let bareFolder = FileManager.default.fileExists(atPath: "\(base)/\(line)", isDirectory: &isDirectory) && isDirectory.boolValue
            if !line.contains("/") || line.hasPrefix("http"), !bareFolder, let id = albumID(line) {
                list.albums.append(id)
                continue
            }
            // A whole line that names a folder is that folder, spaces and all ("Holiday Photos").
            if !Self.isDirectory(line, base: base), let space = line.lastIndex(where: { $0 == " " || $0 == "\t" }) {
                let last = String(line[line.index(after: space)...])
                let head = line[..<space].trimmingCharacters(in: .whitespaces)
                if !head.isEmpty, let id = albumID(last) {
                    folder = head
                    album = id
                }
            }
            if line.hasPrefix("http://") || line.hasPrefix("https://") {
                list.problems.append("\(fileName):\(number): not an Imgur album: \(line)")
                continue
            }
            let expanded = folder.hasPrefix("~/") ? NSHomeDirectory() + folder.dropFirst() : folder
            let absolute = ((expanded.hasPrefix("/") ? expanded : "\(base)/\(expanded)") as NSString).standardizingPath
            guard seen.insert(absolute).inserted else {
                list.problems.append("\(fileName):\(number): \(folder) is listed twice")
                continue
            }
            let ancestors = Self.ancestors(of: absolute)
            if let outer = ancestors.lazy.compactMap({ listedAt[$0] }).first ?? holderOf[absolute] {
                list.problems.append("\(fileName):\(number): \(folder) and line \(outer) nest: a file would be in two albums; list one of them")
                continue
            }
            listedAt[absolute] = number
            for ancestor in ancestors where holderOf[ancestor] == nil { holderOf[ancestor] = number }
            list.pairs.append(Pair(folder: absolute, album: album, line: number))
        }
        return list
    }

    /// The folders above `path` (an absolute, standardized path), the root excepted: `/a/b/c` → `/a`, `/a/b`.
    static func ancestors(of path: String) -> [String] {
        path.indices.dropFirst().filter { path[$0] == "/" }.map { String(path[..<$0]) }
    }

    static func isDirectory(_ text: String, base: String) -> Bool {
        let expanded = text.hasPrefix("~/") ? NSHomeDirectory() + text.dropFirst() : text
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: expanded.hasPrefix("/") ? expanded : "\(base)/\(expanded)", isDirectory: &flag) && flag.boolValue
    }

    /// An album named by an id or an album URL; nil for anything else.
    static func albumID(_ text: String) -> ImgurID? {
        guard let reference = try? ImgurReference.parse(text) else { return nil }
        switch reference {
        case .album(let id): return id
        case .gallery(let id), .albumOrImage(let id): return id
        default: return nil
        }
    }
}
