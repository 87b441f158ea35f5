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
                try stream(into: file) { $0.members(descriptionMembers(of: metadata)) }
            }),
            (StorageLayout.scriptName(id), { (file) throws(FileError) in
                try stream(into: file) { $0.members(metadata.media.lazy.map { (String($0.position), .string($0.id.rawValue)) }) }
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
                        document.arrayMember("media", metadata.media.lazy.map(\.json))
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
    private static func stream(into file: OpenFile, _ body: (inout JSONObjectStream) -> Void) throws(FileError) {
        var failure: FileError?
        var document = JSONObjectStream { bytes in
            guard failure == nil else { return }
            do throws(FileError) { try file.write(bytes) } catch { failure = error }
        }
        body(&document)
        document.finish()
        if let failure { throw failure }
    }

    /// `descriptions_`'s members in the order the writer sorts keys, each id once (its first).
    private static func descriptionMembers(of metadata: AlbumMetadata) -> [(String, JSONValue)] {
        let members = Dictionary(metadata.media.map { ($0.id.rawValue, JSONValue.optional($0.description)) }, uniquingKeysWith: { first, _ in first })
        return JSONValue.orderedKeys(members).map { ($0, members[$0] ?? .null) }
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

    /// Reads the documents of `id` in its open `folder`, noting every problem instead of stopping
    /// at the first.
    public static func read(_ id: ImgurID, in folder: Directory) -> AlbumReading {
        var reading = AlbumReading(id: id)
        let metadataName = StorageLayout.metadataName(id)
        var declaredCount: Int64?
        if let json = document(metadataName, in: folder, into: &reading) {
            reading.metadata = decodeMetadata(json, id: id, name: metadataName, into: &reading)
            declaredCount = json["media_count"]?.int64Value
        }
        readScript(id, folder: folder, declaredCount: declaredCount, into: &reading)
        readDescriptions(id, folder: folder, into: &reading)
        if let commentsFile = reading.metadata?.commentsFile {
            reading.comments = document(commentsFile, in: folder, into: &reading)
        }
        // The media's own texts: the description from `descriptions_`, the title from the API object.
        if var metadata = reading.metadata {
            let titles = apiTitles(metadata.api)
            for index in metadata.media.indices {
                let mediaID = metadata.media[index].id.rawValue
                metadata.media[index].title = titles[mediaID] ?? nil
                metadata.media[index].description = reading.descriptions?[mediaID] ?? nil
            }
            reading.metadata = metadata
        }
        return reading
    }

    // MARK: Reading

    /// A JSON document, or nil with the problem noted.
    private static func document(_ name: String, in folder: Directory, into reading: inout AlbumReading) -> JSONValue? {
        let data: Data
        do {
            data = try folder.read(name, limit: 256 << 20)
        } catch {
            reading.problems.append(.document(name, folder.exists(name) ? error.reasonText : "missing"))
            return nil
        }
        guard let json = try? JSONValue.parse(data) else {
            reading.problems.append(.document(name, "not valid JSON"))
            return nil
        }
        return json
    }

    private static func decodeMetadata(
        _ json: JSONValue, id: ImgurID, name: String, into reading: inout AlbumReading
    ) -> AlbumMetadata? {
        guard case .object(var members) = json else {
            reading.problems.append(.document(name, "not a JSON object"))
            return nil
        }
        guard let version = members["schema_version"]?.int64Value, version >= 1 else {
            reading.problems.append(.document(name, "unknown schema_version"))
            return nil
        }
        guard version <= AlbumMetadata.schemaVersion else {
            reading.problems.append(.newerSchema(name, version))
            return nil
        }
        if members["id"]?.stringValue != id.rawValue {
            reading.problems.append(.inconsistent("\(name) names another album"))
            reading.namesAnotherAlbum = true
        }
        guard let kind = AlbumKind(rawValue: members["kind"]?.stringValue ?? AlbumKind.album.rawValue),
            let status = members["status"]?.stringValue.flatMap(AlbumStatus.init(rawValue:)),
            let mediaList = members["media"]?.arrayValue
        else {
            reading.problems.append(.document(name, "not the shape this version writes (kind, status, media)"))
            return nil
        }
        var media: [MediaRecord] = []
        for (index, item) in mediaList.enumerated() {
            guard let record = decodeRecord(item, index: index, name: name, into: &reading) else { continue }
            media.append(record)
        }
        let known = AlbumMetadata.keyOrder
        let commentCount = members["comment_count"]?.int64Value.map { Int(clamping: $0) }
            ?? (members["comments_file"] == nil ? nil : 0)
        let api = members["api"] ?? .null
        var metadata = AlbumMetadata(
            kind: kind, id: id, title: members["title"]?.stringValue, description: members["description"]?.stringValue,
            published: members["published"]?.stringValue.flatMap(Timestamp.unix) ?? api["datetime"]?.int64Value,
            status: status, archivedAt: members["archived_at"]?.stringValue.flatMap(Timestamp.date) ?? Date(timeIntervalSince1970: 0),
            sourceURL: members["source_url"]?.stringValue ?? "", media: media, api: api, commentCount: commentCount)
        metadata.refused = (members["refused"]?.arrayValue ?? []).compactMap { item in
            guard let index = item["index"]?.int64Value, let reason = item["reason"]?.stringValue else { return nil }
            return RefusedItem(index: Int(clamping: index), reason: reason)
        }
        for key in known { members.removeValue(forKey: key) }
        metadata.unknownMembers = members
        return metadata
    }

    private static func decodeRecord(
        _ item: JSONValue, index: Int, name: String, into reading: inout AlbumReading
    ) -> MediaRecord? {
        guard let id = item["id"]?.stringValue.flatMap(ImgurID.init),
            let status = item["status"]?.stringValue.flatMap(MediaStatus.init(rawValue:))
        else {
            reading.problems.append(.inconsistent("media record \(index + 1) of \(name) has no valid id or status"))
            return nil
        }
        var file = item["file"]?.stringValue
        if status == .ok, !(file.map(MediaFileName.isValid) ?? false) {
            reading.problems.append(.inconsistent("a media record of \(name) names no valid file"))
            file = nil
        }
        return MediaRecord(
            position: item["position"]?.int64Value.map { Int(clamping: $0) } ?? index + 1, id: id,
            type: item["type"]?.stringValue, apiSize: item["api_size"]?.int64Value, status: status,
            file: status == .ok ? file : nil, bytes: item["bytes"]?.int64Value, sha256: item["sha256"]?.stringValue,
            detectedType: item["detected_type"]?.stringValue, url: item["url"]?.stringValue,
            httpStatus: item["http_status"]?.int64Value.map { Int(clamping: $0) },
            seenAt: item["seen_at"]?.stringValue.flatMap(Timestamp.date), keptAside: item["kept_aside"]?.stringValue,
            removedUpstreamAt: item["removed_upstream_at"]?.stringValue.flatMap(Timestamp.date))
    }

    private static func readScript(
        _ id: ImgurID, folder: Directory, declaredCount: Int64?, into reading: inout AlbumReading
    ) {
        let name = StorageLayout.scriptName(id)
        guard let json = document(name, in: folder, into: &reading) else { return }
        guard let members = json.objectValue else {
            reading.problems.append(.document(name, "not an object"))
            return
        }
        var script: [Int: String] = [:]
        for (key, value) in members {
            guard let position = Int(key), position > 0, let mediaID = value.stringValue, ImgurID.isValid(mediaID) else {
                reading.problems.append(.document(name, "entry \"\(key.prefix(20))\" is not a position and a media id"))
                return
            }
            script[position] = mediaID
        }
        reading.script = script
        guard let records = reading.metadata?.media else { return }
        if let declaredCount, Int64(members.count) != declaredCount || records.count != members.count {
            reading.problems.append(.inconsistent("\(name) has \(members.count) entries, the metadata \(declaredCount)"))
        }
        for position in 1...max(1, members.count) where !members.isEmpty {
            guard let mediaID = script[position] else {
                reading.problems.append(.inconsistent("\(name) has no entry \(position)"))
                continue
            }
            if position <= records.count, records[position - 1].id.rawValue != mediaID {
                reading.problems.append(.inconsistent("entry \(position) of \(name) is not the metadata's"))
            }
        }
    }

    private static func readDescriptions(_ id: ImgurID, folder: Directory, into reading: inout AlbumReading) {
        let name = StorageLayout.descriptionsName(id)
        guard let json = document(name, in: folder, into: &reading) else { return }
        guard let members = json.objectValue else {
            reading.problems.append(.document(name, "not an object"))
            return
        }
        reading.descriptions = members.mapValues { $0.stringValue }
        for record in reading.metadata?.media ?? [] where members[record.id.rawValue] == nil {
            reading.problems.append(.inconsistent("\(name) has no entry for \(record.id)"))
        }
    }

    /// Each media's title from the API object (`api.images` of an album; `api` itself for an image).
    private static func apiTitles(_ api: JSONValue) -> [String: String?] {
        let images = api["images"]?.arrayValue ?? (api["id"] == nil ? [] : [api])
        var titles: [String: String?] = [:]
        for image in images {
            if let id = image["id"]?.stringValue, titles[id] == nil { titles[id] = image["title"]?.nonEmptyString }
        }
        return titles
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
