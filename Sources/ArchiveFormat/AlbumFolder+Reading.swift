import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI

/// Reading an album folder's documents back, value by value (`JSONStreamReader`): a document is
/// never held whole, and a long `api.images` goes to an unnamed file of the folder, so that the
/// metadata of an album of 300,000 images (some 300 MB) costs its records, not its text
/// (docs/design.md, "One large album").
extension AlbumFolder {
    /// The most media records one metadata document may hold (an answer of 1 GiB lists fewer).
    public static let maxMediaRecords = 2_000_000

    /// Reads the documents of `id` in its open `folder`, noting every problem instead of stopping
    /// at the first.
    public static func read(_ id: ImgurID, in folder: Directory) -> AlbumReading {
        var reading = AlbumReading(id: id)
        let metadataName = StorageLayout.metadataName(id)
        var declaredCount: Int64?
        if let document = readMetadata(metadataName, in: folder, into: &reading) {
            reading.metadata = decodeMetadata(document, id: id, name: metadataName, into: &reading)
            declaredCount = document.members["media_count"]?.int64Value
        }
        readScript(id, folder: folder, declaredCount: declaredCount, into: &reading)
        readDescriptions(id, folder: folder, into: &reading)
        if let commentsFile = reading.metadata?.commentsFile {
            reading.comments = wholeDocument(commentsFile, in: folder, into: &reading)
        }
        // The media's own texts: the description from `descriptions_`, the title from the API object.
        if var metadata = reading.metadata, let titles = reading.titles {
            for index in metadata.media.indices {
                let mediaID = metadata.media[index].id.rawValue
                metadata.media[index].title = titles[mediaID] ?? nil
                metadata.media[index].description = reading.descriptions?[mediaID] ?? nil
            }
            reading.metadata = metadata
        }
        reading.titles = nil
        return reading
    }

    /// A small JSON document read whole (`comments_`), or nil with the problem noted.
    private static func wholeDocument(_ name: String, in folder: Directory, into reading: inout AlbumReading) -> JSONValue? {
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

    /// Walks the top-level object of document `name`: `member` is handed each key with the reader
    /// at its value, which it must take.
    /// - Returns: the problem with the document, or nil when it was read to its end; `failure` is
    ///   set when the document is there but could not be read (an I/O error, not a damaged text).
    private static func walkObject(
        _ name: String, in folder: Directory, notObject: String, failure: inout FileError?,
        _ member: (String, inout JSONStreamReader) throws -> Void
    ) -> DocumentProblem? {
        let file: OpenFile
        do {
            file = try folder.openFileForReading(name)
        } catch {
            guard folder.exists(name) else { return .document(name, "missing") }
            if case .read = error { failure = error }
            return .document(name, error.reasonText)
        }
        var offset: Int64 = 0
        var reader = JSONStreamReader { buffer in
            let count = try file.read(from: offset, into: buffer)
            offset += Int64(count)
            return count
        }
        do {
            guard try reader.peek() == UInt8(ascii: "{") else {
                _ = try reader.value()
                try reader.finish()
                return .document(name, notObject)
            }
            try reader.enterObject()
            while let key = try reader.nextKey() { try member(key, &reader) }
            try reader.finish()
            return nil
        } catch let error as FileError {
            failure = error
            return .document(name, error.reasonText)
        } catch let problem as DocumentProblem {
            return problem
        } catch let error as JSONStreamReader.Failure where error.reason.hasPrefix("a value longer") {
            return .document(name, error.reason)
        } catch {
            return .document(name, "not valid JSON")
        }
    }

    /// `metadata_`'s members, but `media` decoded record by record and `api.images` set aside.
    struct MetadataDocument {
        var members: [String: JSONValue] = [:]
        var records: [MediaRecord]?
        var apiImages: ImageList?
    }

    private static func readMetadata(_ name: String, in folder: Directory, into reading: inout AlbumReading) -> MetadataDocument? {
        var document = MetadataDocument()
        var problems: [DocumentProblem] = []
        var titles: [String: String?] = [:]
        let problem = walkObject(name, in: folder, notObject: "not a JSON object", failure: &reading.readFailure) { key, reader in
            switch key {
            case "media" where try reader.peek() == UInt8(ascii: "["):
                // The last of repeated members counts (docs/design.md, "Threat model").
                var records: [MediaRecord] = []
                problems.removeAll()
                try reader.enterArray()
                var index = 0
                while try reader.nextElement() {
                    guard index < maxMediaRecords else {
                        throw DocumentProblem.document(name, "more than \(maxMediaRecords) media records")
                    }
                    let item = try reader.value()
                    if let record = decodeRecord(item, index: index, name: name, problems: &problems) { records.append(record) }
                    index += 1
                }
                (document.records, document.members["media"]) = (records, nil)
            case "api" where try reader.peek() == UInt8(ascii: "{"):
                var api: [String: JSONValue] = [:]
                document.apiImages = nil
                titles.removeAll()
                try reader.enterObject()
                while let member = try reader.nextKey() {
                    guard member == "images", try reader.peek() == UInt8(ascii: "[") else {
                        api[member] = try reader.value()
                        if member == "images" { document.apiImages = nil }
                        continue
                    }
                    titles.removeAll()
                    document.apiImages = try ImageList.reading(&reader, spillingIn: folder) { image in
                        if let id = image["id"]?.stringValue, titles[id] == nil { titles[id] = image["title"]?.nonEmptyString }
                    }
                    api["images"] = nil
                }
                // A short list goes back into `api`, as the API sent it.
                if let items = document.apiImages?.itemsInMemory {
                    api["images"] = .array(items)
                    document.apiImages = nil
                }
                if api["images"] == nil, document.apiImages == nil, let id = api["id"]?.stringValue {
                    titles = [id: api["title"]?.nonEmptyString]
                }
                document.members["api"] = .object(api)
            default:
                if key == "media" { document.records = nil }
                if key == "api" { (document.apiImages, titles) = (nil, [:]) }
                document.members[key] = try reader.value()
            }
        }
        if let problem {
            reading.problems.append(problem)
            return nil
        }
        reading.problems += problems
        reading.titles = titles
        return document
    }

    private static func decodeMetadata(
        _ document: MetadataDocument, id: ImgurID, name: String, into reading: inout AlbumReading
    ) -> AlbumMetadata? {
        var members = document.members
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
            let media = document.records
        else {
            reading.problems.append(.document(name, "not the shape this version writes (kind, status, media)"))
            return nil
        }
        let commentCount = members["comment_count"]?.int64Value.map { Int(clamping: $0) }
            ?? (members["comments_file"] == nil ? nil : 0)
        let api = members["api"] ?? .null
        var metadata = AlbumMetadata(
            kind: kind, id: id, title: members["title"]?.stringValue, description: members["description"]?.stringValue,
            published: members["published"]?.stringValue.flatMap(Timestamp.unix) ?? api["datetime"]?.int64Value,
            status: status, archivedAt: members["archived_at"]?.stringValue.flatMap(Timestamp.date) ?? Date(timeIntervalSince1970: 0),
            sourceURL: members["source_url"]?.stringValue ?? "", media: media, api: api, commentCount: commentCount)
        metadata.apiImages = document.apiImages
        metadata.refused = (members["refused"]?.arrayValue ?? []).compactMap { item in
            guard let index = item["index"]?.int64Value, let reason = item["reason"]?.stringValue else { return nil }
            return RefusedItem(index: Int(clamping: index), reason: reason)
        }
        for key in AlbumMetadata.keyOrder { members.removeValue(forKey: key) }
        metadata.unknownMembers = members
        return metadata
    }

    static func decodeRecord(
        _ item: JSONValue, index: Int, name: String, problems: inout [DocumentProblem]
    ) -> MediaRecord? {
        guard let id = item["id"]?.stringValue.flatMap(ImgurID.init),
            let status = item["status"]?.stringValue.flatMap(MediaStatus.init(rawValue:))
        else {
            problems.append(.inconsistent("media record \(index + 1) of \(name) has no valid id or status"))
            return nil
        }
        var file = item["file"]?.stringValue
        if status == .ok, !(file.map(MediaFileName.isValid) ?? false) {
            problems.append(.inconsistent("a media record of \(name) names no valid file"))
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
        var script: [Int: String] = [:]
        var entries = 0
        var bad: String?
        let problem = walkObject(name, in: folder, notObject: "not an object", failure: &reading.readFailure) { key, reader in
            let value = try reader.value()
            guard bad == nil else { return }
            guard let position = Int(key), position > 0, let mediaID = value.stringValue, ImgurID.isValid(mediaID) else {
                bad = "entry \"\(key.prefix(20))\" is not a position and a media id"
                return
            }
            // The last of a repeated key counts, as for every document.
            if script.updateValue(mediaID, forKey: position) == nil { entries += 1 }
        }
        if let problem {
            reading.problems.append(problem)
            return
        }
        if let bad {
            reading.problems.append(.document(name, bad))
            return
        }
        reading.script = script
        guard let records = reading.metadata?.media else { return }
        if let declaredCount, Int64(entries) != declaredCount || records.count != entries {
            reading.problems.append(.inconsistent("\(name) has \(entries) entries, the metadata \(declaredCount)"))
        }
        for position in 1...max(1, entries) where entries > 0 {
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
        var descriptions: [String: String?] = [:]
        let problem = walkObject(name, in: folder, notObject: "not an object", failure: &reading.readFailure) { key, reader in
            descriptions[key] = try reader.value().stringValue
        }
        if let problem {
            reading.problems.append(problem)
            return
        }
        reading.descriptions = descriptions
        for record in reading.metadata?.media ?? [] where descriptions[record.id.rawValue] == nil {
            reading.problems.append(.inconsistent("\(name) has no entry for \(record.id)"))
        }
    }
}

extension DocumentProblem: Error {}
