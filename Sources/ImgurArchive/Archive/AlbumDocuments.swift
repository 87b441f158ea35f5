import Foundation
import ImgurAPI

/// The three JSON files of an album folder (`docs/archive-format.md`).
struct AlbumDocuments {
    static let schemaVersion: Int64 = 1
    /// What a reader wants first; the raw API object comes last.
    static let metadataKeyOrder = [
        "schema_version", "kind", "id", "title", "description", "published", "media_count", "status", "archived_at",
        "source_url", "comments_file", "comment_count", "media", "api",
    ]

    /// One position of the album, in album order.
    struct Slot {
        let image: Image
        let outcome: MediaOutcome
    }

    let metadata: JSONValue
    let script: JSONValue
    let descriptions: JSONValue
    /// A gallery post's comments as the API returned them (`--comments`).
    let comments: JSONValue?
    /// `complete`, `partial` (media Imgur no longer serves) or `metadata-only` (media not fetched).
    let status: CatalogEntry.Status
    /// Media ids that could not be archived (not those left out by `--metadata-only`).
    let missing: [String]

    /// - Parameters:
    ///   - raw: the album object exactly as the API returned it (`images` included).
    init(
        id: ImgurID, kind: String, title: String?, description: String?, datetime: Int64?, raw: JSONValue,
        slots: [Slot], archivedAt: Date, sourceURL: String, comments: JSONValue? = nil
    ) {
        var scriptMembers: [String: JSONValue] = [:]
        var descriptionMembers: [String: JSONValue] = [:]
        var media: [JSONValue] = []
        for (index, slot) in slots.enumerated() {
            scriptMembers[String(index + 1)] = .string(slot.image.id.rawValue)
            descriptionMembers[slot.image.id.rawValue] = .optional(slot.image.description)
            media.append(Self.mediaRecord(position: index + 1, slot: slot))
        }
        var missing: [String] = []
        var notDownloaded = false
        for slot in slots {
            guard case .unavailable(let unavailable) = slot.outcome else { continue }
            if unavailable.reason == .notDownloaded {
                notDownloaded = true
            } else {
                missing.append(slot.image.id.rawValue)
            }
        }
        let status: CatalogEntry.Status = notDownloaded ? .metadataOnly : missing.isEmpty ? .complete : .partial
        self.status = status
        self.missing = missing
        self.comments = comments
        var metadata: JSONValue = [
            "schema_version": .int(Self.schemaVersion),
            "kind": .string(kind),
            "id": .string(id.rawValue),
            "title": .optional(title),
            "description": .optional(description),
            "published": datetime.map { .string(Timestamp.iso8601(unix: $0)) } ?? .null,
            "media_count": .int(Int64(slots.count)),
            "status": .string(status.rawValue),
            "archived_at": .string(Timestamp.iso8601(archivedAt)),
            "source_url": .string(sourceURL),
            "media": .array(media),
            "api": raw,
        ]
        if let comments, case .object(var members) = metadata {
            members["comments_file"] = .string("comments_\(id.rawValue).json")
            members["comment_count"] = .int(Int64(comments.arrayValue?.count ?? 0))
            metadata = .object(members)
        }
        self.metadata = metadata
        script = .object(scriptMembers)
        descriptions = .object(descriptionMembers)
    }

    private static func mediaRecord(position: Int, slot: Slot) -> JSONValue {
        var record: [String: JSONValue] = [
            "position": .int(Int64(position)),
            "id": .string(slot.image.id.rawValue),
            "type": .optional(slot.image.type),
            "api_size": slot.image.size.map(JSONValue.int) ?? .null,
        ]
        switch slot.outcome {
        case .stored(let stored):
            record["status"] = "ok"
            record["file"] = .string(stored.fileName)
            record["bytes"] = .int(stored.bytes)
            record["sha256"] = .string(stored.sha256)
            record["detected_type"] = .optional(stored.detectedType)
            record["url"] = .string(stored.url)
        case .unavailable(let unavailable):
            record["status"] = .string(unavailable.reason.rawValue)
            record["file"] = .null
            record["http_status"] = unavailable.httpStatus.map { .int(Int64($0)) } ?? .null
            record["url"] = .optional(unavailable.url)
            record["seen_at"] = .string(Timestamp.iso8601(unavailable.seenAt))
        }
        return .object(record)
    }

    /// Writes descriptions, then script, then metadata: metadata last, because its presence with a
    /// `status` is what marks the folder as finished.
    func write(to layout: StorageLayout, id: ImgurID) throws(ArchiveError) {
        var files = [(descriptions.serialized(), layout.descriptions(id)), (script.serialized(), layout.script(id))]
        if let comments { files.append((comments.serialized(), layout.comments(id))) }
        files.append((metadata.serialized(leadingKeys: Self.metadataKeyOrder), layout.metadata(id)))
        try FileSystem.writeAtomically(files)
    }
}

/// What a folder's existing `metadata_<ID>.json` says, read back.
struct ArchivedAlbum {
    struct File {
        let bytes: Int64
        let sha256: String
        let detectedType: String?
        let url: String?
    }

    let metadata: JSONValue
    /// Files recorded as stored, by file name.
    let files: [String: File]

    init?(path: String) {
        guard let data = try? FileSystem.read(path), let json = try? JSONValue.parse(data),
            json["schema_version"]?.int64Value != nil
        else { return nil }
        metadata = json
        var files: [String: File] = [:]
        for item in json["media"]?.arrayValue ?? [] {
            guard item["status"]?.stringValue == "ok", let name = item["file"]?.stringValue,
                let bytes = item["bytes"]?.int64Value, let sha = item["sha256"]?.stringValue
            else { continue }
            files[name] = File(
                bytes: bytes, sha256: sha, detectedType: item["detected_type"]?.stringValue,
                url: item["url"]?.stringValue)
        }
        self.files = files
    }

    /// The catalog entry for this folder, when the metadata says it is finished and every stored
    /// file is still there at its recorded size (used to recover entries a crash kept out of the
    /// catalog, without asking Imgur again).
    func catalogEntry(for id: ImgurID, layout: StorageLayout) -> CatalogEntry? {
        guard metadata["id"]?.stringValue == id.rawValue,
            let status = metadata["status"]?.stringValue.flatMap(CatalogEntry.Status.init(rawValue:)),
            status != .unavailable
        else { return nil }
        for (name, file) in files where FileSystem.fileSize(layout.media(id, name)) != file.bytes {
            return nil
        }
        let missing = (metadata["media"]?.arrayValue ?? []).compactMap { item -> String? in
            let status = item["status"]?.stringValue
            return status == "ok" || status == UnavailableMedia.Reason.notDownloaded.rawValue ? nil : item["id"]?.stringValue
        }
        let archivedAt = metadata["archived_at"]?.stringValue.flatMap(Self.date) ?? Date()
        return CatalogEntry(
            id: id, status: status, kind: metadata["kind"]?.stringValue ?? "album",
            title: metadata["title"]?.stringValue, published: metadata["api"]?["datetime"]?.int64Value,
            mediaCount: Int(metadata["media_count"]?.int64Value ?? 0), recordedAt: archivedAt, missing: missing)
    }

    static func date(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}
