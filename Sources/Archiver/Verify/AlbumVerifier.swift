import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI

/// What `verify` found in one album folder.
public struct AlbumCheck: Sendable {
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// Something wrong with the documents (`AlbumFolder.read`).
        case document(DocumentProblem)
        case missingFile(String)
        case wrongSize(String, expected: Int64, actual: Int64)
        case wrongDigest(String)
        case unreadable(String, String)
        /// A file in the folder that belongs to nothing the documents describe.
        case extraFile(String)
        /// The catalog lists the album, but it has no folder.
        case missingFolder
        /// The album's folder (or a file in it) is a symlink or not what we write: never followed.
        case unsafe(String)

        public var description: String {
            switch self {
            case .document(let problem): "\(problem)"
            case .missingFile(let name): "\(name) is missing"
            case .wrongSize(let name, let expected, let actual): "\(name) has \(actual) bytes, not \(expected)"
            case .wrongDigest(let name): "\(name) does not match its SHA-256"
            case .unreadable(let name, let reason): "\(name): \(reason)"
            case .extraFile(let name): "\(name) belongs to nothing"
            case .missingFolder: "listed in the catalog, but its folder is missing"
            case .unsafe(let reason): reason
            }
        }

        /// Fetching the album again mends it (an extra file is only reported: it is never deleted).
        public var isRepairable: Bool {
            if case .extraFile = self { return false }
            return true
        }

        /// The media file a re-fetch must replace, when the problem is that file's content.
        public var damagedFile: String? {
            switch self {
            case .wrongSize(let name, _, _), .wrongDigest(let name): name
            default: nil
            }
        }
    }

    /// What the album is, besides its problems.
    public enum State: Sendable, Equatable {
        /// Archived: checked against its documents.
        case archived
        /// An archiving run stopped before finishing it (no metadata yet, nothing cataloged, or
        /// kept out of the catalog as incomplete): not damage, the next run finishes it.
        case interrupted(filesSoFar: Int)
        /// Neither in the catalog nor in a folder: asked for by id, but never archived.
        case notArchived
        /// The catalog records it as not on Imgur: there is nothing to check.
        case unavailable
    }

    public let id: ImgurID
    public var state = State.archived
    public var problems: [Problem] = []
    public var files = 0
    public var bytes: Int64 = 0
    /// Image folders are fetched again as images.
    public var kind = AlbumKind.album
    /// Which file the album keeps for animated media (a GIF stored as its MP4 means `mp4`), so
    /// that a repair fetches the same files again.
    public var animated = AnimatedFormat.gif
    /// A `--media-only` album: no documents to check against yet.
    public var mediaOnly = false
    /// Temporary files a killed run left (`Directory.isTemporaryName`): not damage; the next run
    /// (or `--repair`) removes them.
    public var leftovers: [String] = []

    public init(id: ImgurID) {
        self.id = id
    }
}

/// Checks one album folder against its own documents, reading every media file once (streamed).
struct AlbumVerifier: Sendable {
    let layout: StorageLayout
    /// Called with the bytes of every chunk hashed, and once per file (progress display).
    let onBytes: @Sendable (Int) -> Void
    let onFile: @Sendable () -> Void

    /// - Parameter cataloged: what the catalog says of the album, if it has it: its kind is the
    ///   fallback when the folder or its metadata is gone.
    func check(_ id: ImgurID, cataloged: CatalogEntry.Summary?) -> AlbumCheck {
        var check = AlbumCheck(id: id)
        check.kind = cataloged?.kind ?? .album
        let folder: Directory
        do {
            folder = try layout.albumFolder(id)
        } catch {
            if layout.directory.exists(id.rawValue) {
                check.problems.append(.unsafe("\(error)"))
            } else if cataloged == nil {
                check.state = .notArchived
            } else if cataloged?.status == .unavailable {
                check.state = .unavailable
            } else {
                check.problems.append(.missingFolder)
            }
            return check
        }
        let reading = AlbumFolder.read(id, in: folder)
        check.problems = reading.problems.map(AlbumCheck.Problem.document)
        var belonging: Set<String> = ["index.html"]  // the viewer's page for this album
        guard let metadata = reading.metadata else {
            // Without metadata nothing else can be checked against it.
            check.problems = check.problems.filter {
                if case .document(let problem) = $0 { return problem.documentName == "metadata_\(id).json" }
                return false
            }
            if !folder.exists(StorageLayout.metadataName(id)) {
                if cataloged?.status == .mediaOnly {
                    check.mediaOnly = true
                    check.problems = []
                } else if cataloged == nil || cataloged?.status == .incomplete {
                    // A run stopped before this album's documents: the files so far are kept.
                    let media = folder.names().filter { !$0.hasPrefix(".") && $0 != StorageLayout.indexName }
                    check.state = .interrupted(filesSoFar: media.count)
                    check.problems = []
                }
            }
            return check
        }
        check.kind = metadata.kind
        belonging.formUnion(["metadata_\(id).json", "script_\(id).json", "descriptions_\(id).json", AlbumFolder.historyName(id), StorageLayout.restoredName(id)])
        if let comments = metadata.commentsFile { belonging.insert(comments) }
        belonging.formUnion(folder.names().filter { StorageLayout.isEarlierRestoredName($0, of: id) })
        if metadata.media.contains(where: { $0.type == "image/gif" && $0.file?.hasSuffix(".mp4") == true }) {
            check.animated = .mp4
        }
        var checked: Set<String> = []
        for record in metadata.media where record.status == .ok {
            guard let name = record.file else { continue }
            belonging.insert(name)
            guard checked.insert(name).inserted else { continue }
            checkFile(name, record: record, folder: folder, into: &check)
        }
        // An interrupted download's partial file and its resume hint belong to the album too.
        for record in metadata.media {
            let names = [record.file].compactMap { $0 } + (record.url.map {
                ["\(record.id).\(URL(string: $0)?.pathExtension.lowercased() ?? "")"]
            } ?? [])
            for name in names {
                belonging.formUnion([".\(name).part", ".\(name).size-mismatch"])
                // A resume hint belongs only beside its partial file (else a crash left it: litter).
                if folder.exists(".\(name).part") { belonging.insert(".\(name).part.json") }
            }
        }
        for name in folder.names() where !belonging.contains(name) {
            if Self.isKeptDamagedCopy(name, of: belonging) { continue }
            if Directory.isTemporaryName(name) || AlbumFolder.isOrphanResumeHint(name, in: folder) {
                check.leftovers.append(name)
                continue
            }
            check.problems.append(.extraFile(name))
        }
        // Kept out of the catalog for files that came in another size: the next run fetches them.
        if metadata.status == .incomplete, cataloged == nil || cataloged?.status == .incomplete {
            check.state = .interrupted(filesSoFar: checked.count)
        }
        return check
    }

    /// `<file>.damaged-<time>`: what `verify --repair` moved aside, kept on purpose.
    static func isKeptDamagedCopy(_ name: String, of files: Set<String>) -> Bool {
        guard let range = name.range(of: ".damaged-", options: .backwards) else { return false }
        let suffix = name[range.upperBound...]
        return files.contains(String(name[..<range.lowerBound])) && !suffix.isEmpty && suffix.allSatisfy(\.isNumber)
    }

    private func checkFile(_ name: String, record: MediaRecord, folder: Directory, into check: inout AlbumCheck) {
        guard let size = folder.fileSize(name) else {
            check.problems.append(folder.isSymlink(name) ? .unsafe("\(name) is a symbolic link") : .missingFile(name))
            return
        }
        let expected = record.bytes ?? -1
        guard size == expected else {
            check.problems.append(.wrongSize(name, expected: expected, actual: size))
            return
        }
        do {
            let hash = try SHA256.hashFile(name, in: folder, onChunk: onBytes)
            check.files += 1
            check.bytes += hash.bytes
            onFile()
            if hash.hasher.hexDigest() != record.sha256 {
                check.problems.append(.wrongDigest(name))
            }
        } catch {
            check.problems.append(.unreadable(name, "\(error)"))
        }
    }
}
