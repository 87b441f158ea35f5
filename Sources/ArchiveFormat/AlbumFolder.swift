import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI

/// Something wrong with an album folder's documents, as `AlbumFolder.read` finds it.
public enum DocumentProblem: Sendable, Equatable, CustomStringConvertible {
    /// A document missing, unreadable, not JSON, or not the shape this version writes.
    case document(String, String)
    /// Written by a newer imgur-archive: not read as if it were ours.
    case newerSchema(String, Int64)
    /// The documents disagree with each other or with the folder.
    case inconsistent(String)

    /// The document the problem is about, when it is about one.
    public var documentName: String? {
        switch self {
        case .document(let name, _), .newerSchema(let name, _): name
        case .inconsistent: nil
        }
    }

    public var description: String {
        switch self {
        case .document(let name, let reason): "\(name): \(reason)"
        case .newerSchema(let name, let version):
            "\(name): schema_version \(version) is newer than this imgur-archive knows (\(AlbumMetadata.schemaVersion))"
        case .inconsistent(let reason): reason
        }
    }
}

/// An album folder's documents as read back, with everything found wrong with them.
public struct AlbumReading: Sendable {
    public let id: ImgurID
    /// The metadata, when it could be read (it may still have `problems`).
    public var metadata: AlbumMetadata?
    /// `script_`: position → media id, when it could be read.
    public var script: [Int: String]?
    /// `descriptions_`: media id → description (nil for JSON `null`), when it could be read.
    public var descriptions: [String: String?]?
    /// `comments_`, when the metadata names one and it could be read.
    public var comments: JSONValue?
    public var problems: [DocumentProblem] = []
    /// The metadata's `id` is not the folder's: it describes another album.
    public var namesAnotherAlbum = false
    /// A document that is there could not be read (an I/O error: a disk, a descriptor limit), as
    /// opposed to a damaged one: nothing may be written over the folder as if it had no documents.
    public var readFailure: FileError?
    /// While reading: each media's title from the API object, by id.
    var titles: [String: String?]?

    /// The first problem as an error naming the document's path, or nil when the three documents
    /// could all be read.
    public func unreadable(in layout: StorageLayout) -> FormatError? {
        let names = ["metadata_\(id).json", "script_\(id).json", "descriptions_\(id).json"]
        for problem in problems {
            switch problem {
            case .document(let name, let reason) where names.contains(name):
                return .document(path: "\(layout.folder(id))/\(name)", reason: reason)
            case .newerSchema(let name, let version):
                return .newerSchema(path: "\(layout.folder(id))/\(name)", version: version)
            default: continue
            }
        }
        return metadata == nil || script == nil || descriptions == nil
            ? .document(path: layout.metadata(id), reason: "not readable") : nil
    }
}

/// The one reader and writer of an album folder's documents (`metadata_`, `script_`,
/// `descriptions_`, `comments_`): archiving, recovery, `verify`, repair, the viewer and restore all
/// go through it (docs/archive-format.md).
public enum AlbumFolder {
    /// Writes descriptions, then script, then comments, then metadata, each atomically: metadata
    /// last, because its presence with a `status` is what marks the folder as finished.
    ///
    /// Each document is streamed to its file record by record: memory does not grow with the
    /// number of media (an album of 300,000).
    /// `.<file>.part.json` without its `.<file>.part`: a resume hint a crash left behind after the
    /// file was moved into place (docs/archive-format.md, "Partial downloads").
    public static func isOrphanResumeHint(_ name: String, in folder: Directory) -> Bool {
        name.hasPrefix(".") && name.hasSuffix(".part.json") && !folder.exists(String(name.dropLast(".json".count)))
    }

    /// Removes every orphan resume hint of the folder (under the run lock: nothing else writes there).
    public static func removeOrphanResumeHints(in folder: Directory) {
        for name in folder.names() where isOrphanResumeHint(name, in: folder) { folder.remove(name) }
    }

    public static func write(_ metadata: AlbumMetadata, comments: JSONValue?, in folder: Directory) throws(FileError) {
        let id = metadata.id
        var files: [(String, (OpenFile) throws(FileError) -> Void)] = [
            (StorageLayout.descriptionsName(id), { (file) throws(FileError) in
                try stream(into: file) { document in
                    try forEachDescription(of: metadata, in: folder) { document.member($0, $1) }
                }
            }),
            (StorageLayout.scriptName(id), { (file) throws(FileError) in
                try stream(into: file) { document in
                    try metadata.forEachMedia { document.member(String($0.position), .string($0.id.rawValue)) }
                }
            }),
        ]
        if let comments {
            files.append((StorageLayout.commentsName(id), { (file) throws(FileError) in try file.write(comments.serialized()) }))
        }
        files.append((StorageLayout.metadataName(id), { (file) throws(FileError) in
            try stream(into: file) { document in
                // The order of `AlbumMetadata.keyOrder`, then anything unknown, as `serialized` writes it.
                var members = metadata.json(withMedia: false)
                for key in AlbumMetadata.keyOrder {
                    if key == "media" {
                        try document.arrayMember("media") { emit in try metadata.forEachMedia { emit($0.json) } }
                    } else if key == "api", let images = metadata.apiImages, case .object(let api)? = members.removeValue(forKey: key) {
                        try document.objectMember("api", api, array: "images") { emit in try images.forEach(emit) }
                    } else if let value = members.removeValue(forKey: key) {
                        document.member(key, value)
                    }
                }
                document.members(JSONValue.orderedKeys(members).map { ($0, members[$0] ?? .null) })
            }
        }))
        try folder.writeAtomically(streaming: files)
    }

    /// Writes one object through a `JSONObjectStream` into `file`.
    private static func stream(into file: OpenFile, _ body: (inout JSONObjectStream) throws -> Void) throws(FileError) {
        var failure: FileError?
        var document = JSONObjectStream { bytes in
            guard failure == nil else { return }
            do throws(FileError) { try file.write(bytes) } catch { failure = error }
        }
        do {
            try body(&document)
        } catch let error as FileError {
            failure = failure ?? error
        } catch {
            // The spool of a long image list could not be read back.
            failure = failure ?? .read(path: file.path, reason: "\(error)")
        }
        document.finish()
        if let failure { throw failure }
    }

    /// `descriptions_`'s members in the order the writer sorts keys (`JSONValue.orderedKeys`),
    /// each id once (its first position's). Records on disk are sorted on disk (`ExternalSorter`,
    /// runs in unnamed files of `folder`): memory stays flat however many there are.
    private static func forEachDescription(
        of metadata: AlbumMetadata, in folder: Directory, _ body: (String, JSONValue) throws -> Void
    ) throws {
        guard metadata.spooledMedia != nil else {
            let members = Dictionary(metadata.media.map { ($0.id.rawValue, JSONValue.optional($0.description)) }, uniquingKeysWith: { first, _ in first })
            for key in JSONValue.orderedKeys(members) { try body(key, members[key] ?? .null) }
            return
        }
        // Keys in byte order, then the position (so the first of an id comes first). When every id
        // is a decimal number the writer orders them by value: a second sorter keeps that order
        // until an id that is not a number makes it moot.
        let byText = ExternalSorter(scratch: folder)
        var byNumber: ExternalSorter? = ExternalSorter(scratch: folder)
        try metadata.forEachMedia { record in
            let id = Array(record.id.rawValue.utf8)
            let value = Array(JSONValue.optional(record.description).serialized(.compact))
            let position = withUnsafeBytes(of: UInt64(record.position).bigEndian, Array.init)
            try byText.add(ExternalSorter.Record(key: id + position, value: value))
            if let sorter = byNumber {
                if let number = UInt64(record.id.rawValue), id.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    try sorter.add(ExternalSorter.Record(key: withUnsafeBytes(of: number.bigEndian, Array.init) + id + position, value: value))
                } else {
                    byNumber = nil
                }
            }
        }
        var last: ArraySlice<UInt8>?
        try (byNumber ?? byText).forEachSorted { record in
            let key = record.key.dropLast(8)
            let text = byNumber == nil ? key : key.dropFirst(8)
            guard text != last else { return true }
            last = text
            try body(String(decoding: text, as: UTF8.self), try JSONValue.parse(Data(record.value)))
            return true
        }
    }

    /// Writes the documents into `id`'s folder of `layout` (which must exist).
    public static func write(_ metadata: AlbumMetadata, comments: JSONValue?, in layout: StorageLayout) throws(FileError) {
        try write(metadata, comments: comments, in: try layout.albumFolder(metadata.id))
    }

    /// `script_`: 1-based positions as keys, media ids as values.
    public static func script(of metadata: AlbumMetadata) -> JSONValue {
        .object(Dictionary(metadata.media.map { (String($0.position), .string($0.id.rawValue)) }, uniquingKeysWith: { a, _ in a }))
    }

    /// `descriptions_`: each media's description, `null` when it has none.
    public static func descriptions(of metadata: AlbumMetadata) -> JSONValue {
        .object(Dictionary(metadata.media.map { ($0.id.rawValue, .optional($0.description)) }, uniquingKeysWith: { a, _ in a }))
    }

    /// Reads the documents of `id`'s folder in `layout`.
    public static func read(_ id: ImgurID, in layout: StorageLayout) -> AlbumReading {
        do {
            return read(id, in: try layout.albumFolder(id))
        } catch {
            var reading = AlbumReading(id: id)
            let reason = FileSystem.exists(layout.folder(id)) || layout.directory.isSymlink(id.rawValue)
                ? error.reasonText : "missing"
            reading.problems.append(.document(StorageLayout.metadataName(id), reason))
            return reading
        }
    }

}

extension FileError {
    /// The cause alone, without the path (for messages that name the document already).
    var reasonText: String {
        switch self {
        case .read(_, let reason), .write(_, let reason), .unsafe(_, let reason): reason
        case .locked: description
        }
    }
}
