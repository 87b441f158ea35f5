import Foundation
import ImgurAPI

/// What `verify` found in one album folder.
struct AlbumCheck: Sendable {
    enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// A document that is missing or not valid JSON (or not the shape this version writes).
        case document(String, String)
        /// The documents disagree with each other.
        case inconsistent(String)
        case missingFile(String)
        case wrongSize(String, expected: Int64, actual: Int64)
        case wrongDigest(String)
        case unreadable(String, String)
        /// A file in the folder that belongs to nothing the documents describe.
        case extraFile(String)
        /// The catalog lists the album, but it has no folder.
        case missingFolder

        var description: String {
            switch self {
            case .document(let name, let reason): "\(name): \(reason)"
            case .inconsistent(let reason): reason
            case .missingFile(let name): "\(name) is missing"
            case .wrongSize(let name, let expected, let actual): "\(name) has \(actual) bytes, not \(expected)"
            case .wrongDigest(let name): "\(name) does not match its SHA-256"
            case .unreadable(let name, let reason): "\(name): \(reason)"
            case .extraFile(let name): "\(name) belongs to nothing"
            case .missingFolder: "listed in the catalog, but its folder is missing"
            }
        }

        /// Fetching the album again mends it (an extra file is only reported: it is never deleted).
        var isRepairable: Bool {
            if case .extraFile = self { return false }
            return true
        }

        /// The media file a re-fetch must replace, when the problem is that file's content.
        var damagedFile: String? {
            switch self {
            case .wrongSize(let name, _, _), .wrongDigest(let name): name
            default: nil
            }
        }
    }

    let id: ImgurID
    var problems: [Problem] = []
    var files = 0
    var bytes: Int64 = 0
    /// "image" folders are fetched again as images.
    var kind = "album"
    /// Which file the album keeps for animated media (a GIF stored as its MP4 means `mp4`), so
    /// that a repair fetches the same files again.
    var animated = AnimatedFormat.gif
    /// A `--media-only` album: no documents to check against yet.
    var mediaOnly = false
}

/// Checks one album folder against its own documents, reading every media file once (streamed).
struct AlbumVerifier: Sendable {
    let layout: StorageLayout
    /// Called with the bytes of every chunk hashed, and once per file (progress display).
    let onBytes: @Sendable (Int) -> Void
    let onFile: @Sendable () -> Void

    /// - Parameter cataloged: what the catalog says of the album, if it has it: its kind is the
    ///   fallback when the folder or its metadata is gone.
    func check(_ id: ImgurID, cataloged: (status: CatalogEntry.Status?, kind: String?)) -> AlbumCheck {
        let catalogStatus = cataloged.status
        var check = AlbumCheck(id: id)
        check.kind = cataloged.kind ?? "album"
        let folder = layout.folder(id)
        guard FileSystem.isDirectory(folder) else {
            check.problems.append(.missingFolder)
            return check
        }
        var belonging: Set<String> = ["index.html"]  // the viewer's page for this album
        guard let metadata = document(layout.metadata(id), into: &check) else {
            if catalogStatus == .mediaOnly {
                check.mediaOnly = true
                check.problems = []
            }
            return check
        }
        check.kind = metadata["kind"]?.stringValue ?? check.kind
        belonging.formUnion(["metadata_\(id).json", "script_\(id).json", "descriptions_\(id).json"])
        if metadata["schema_version"]?.int64Value != AlbumDocuments.schemaVersion {
            check.problems.append(.document("metadata_\(id).json", "unknown schema_version"))
        }
        if metadata["id"]?.stringValue != id.rawValue {
            check.problems.append(.inconsistent("metadata_\(id).json names another album"))
        }
        let records = metadata["media"]?.arrayValue ?? []
        checkScript(id, records: records, count: metadata["media_count"]?.int64Value, into: &check)
        checkDescriptions(id, records: records, into: &check)
        if let comments = metadata["comments_file"]?.stringValue {
            belonging.insert(comments)
            _ = document("\(folder)/\(comments)", into: &check)
        }
        if records.contains(where: { $0["type"]?.stringValue == "image/gif" && $0["file"]?.stringValue?.hasSuffix(".mp4") == true }) {
            check.animated = .mp4
        }
        var checked: Set<String> = []
        for record in records where record["status"]?.stringValue == "ok" {
            guard let name = record["file"]?.stringValue, ImgurID.isSafeFileName(name) else {
                check.problems.append(.inconsistent("a media record of metadata_\(id).json names no valid file"))
                continue
            }
            belonging.insert(name)
            guard checked.insert(name).inserted else { continue }
            checkFile(name, record: record, folder: folder, into: &check)
        }
        // An interrupted download's partial file and its resume hint belong to the album too.
        for record in records {
            guard let mediaID = record["id"]?.stringValue else { continue }
            let names = [record["file"]?.stringValue].compactMap { $0 } + (record["url"]?.stringValue.map {
                ["\(mediaID).\(URL(string: $0)?.pathExtension.lowercased() ?? "")"]
            } ?? [])
            for name in names { belonging.formUnion([".\(name).part", ".\(name).part.json"]) }
        }
        for name in FileSystem.contents(of: folder).sorted() where !belonging.contains(name) {
            if Self.isKeptDamagedCopy(name, of: belonging) { continue }
            check.problems.append(.extraFile(name))
        }
        return check
    }

    /// `<file>.damaged-<time>`: what `verify --repair` moved aside, kept on purpose.
    static func isKeptDamagedCopy(_ name: String, of files: Set<String>) -> Bool {
        guard let range = name.range(of: ".damaged-", options: .backwards) else { return false }
        let suffix = name[range.upperBound...]
        return files.contains(String(name[..<range.lowerBound])) && !suffix.isEmpty && suffix.allSatisfy(\.isNumber)
    }

    /// A JSON document of the folder, or nil (with the problem noted).
    private func document(_ path: String, into check: inout AlbumCheck) -> JSONValue? {
        let name = (path as NSString).lastPathComponent
        guard FileSystem.exists(path) else {
            check.problems.append(.document(name, "missing"))
            return nil
        }
        guard let data = try? FileSystem.read(path), let json = try? JSONValue.parse(data) else {
            check.problems.append(.document(name, "not valid JSON"))
            return nil
        }
        return json
    }

    private func checkScript(_ id: ImgurID, records: [JSONValue], count: Int64?, into check: inout AlbumCheck) {
        guard let script = document(layout.script(id), into: &check) else { return }
        guard let members = script.objectValue else {
            check.problems.append(.document("script_\(id).json", "not an object"))
            return
        }
        if let count, Int64(members.count) != count || records.count != members.count {
            check.problems.append(
                .inconsistent("script_\(id).json has \(members.count) entries, the metadata \(count)"))
        }
        for position in 1...max(1, members.count) where !members.isEmpty {
            let mediaID = members[String(position)]?.stringValue
            guard let mediaID else {
                check.problems.append(.inconsistent("script_\(id).json has no entry \(position)"))
                continue
            }
            if position <= records.count, records[position - 1]["id"]?.stringValue != mediaID {
                check.problems.append(.inconsistent("entry \(position) of script_\(id).json is not the metadata's"))
            }
        }
    }

    private func checkDescriptions(_ id: ImgurID, records: [JSONValue], into check: inout AlbumCheck) {
        guard let descriptions = document(layout.descriptions(id), into: &check) else { return }
        guard let members = descriptions.objectValue else {
            check.problems.append(.document("descriptions_\(id).json", "not an object"))
            return
        }
        for record in records {
            if let mediaID = record["id"]?.stringValue, members[mediaID] == nil {
                check.problems.append(.inconsistent("descriptions_\(id).json has no entry for \(mediaID)"))
            }
        }
    }

    private func checkFile(_ name: String, record: JSONValue, folder: String, into check: inout AlbumCheck) {
        let path = "\(folder)/\(name)"
        guard let size = FileSystem.fileSize(path) else {
            check.problems.append(.missingFile(name))
            return
        }
        let expected = record["bytes"]?.int64Value ?? -1
        guard size == expected else {
            check.problems.append(.wrongSize(name, expected: expected, actual: size))
            return
        }
        do {
            let hash = try SHA256.hashFile(atPath: path, onChunk: onBytes)
            check.files += 1
            check.bytes += hash.bytes
            onFile()
            if hash.hasher.hexDigest() != record["sha256"]?.stringValue {
                check.problems.append(.wrongDigest(name))
            }
        } catch {
            check.problems.append(.unreadable(name, "\(error)"))
        }
    }
}

extension ImgurID {
    /// `<id>.<ext>` as this tool names media files: an id, a dot, a short lowercase extension.
    static func isSafeFileName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, ImgurID(parts[0]) != nil, (1...5).contains(parts[1].count) else { return false }
        return parts[1].utf8.allSatisfy(ImgurID.isAlphanumeric)
    }
}
