import Foundation
import ImgurAPI

/// One album folder read back from its three documents, as the viewer shows it: the album's text
/// and, in `script_` order, what stands in each position.
///
/// File names are taken from the metadata only when they have the shape the archiver gives them
/// (`<mediaID>.<ext>`, a valid id and a short lowercase extension) and the file is in the folder;
/// anything else is shown as a placeholder, never linked.
struct ViewerAlbum {
    /// What one position shows.
    enum Content: Equatable {
        case image(file: String, width: Int?, height: Int?)
        /// `animated`: a GIF kept as MP4, which plays like a GIF (looped, muted).
        case video(file: String, width: Int?, height: Int?, animated: Bool)
        /// A stored file of a type browsers are not expected to show inline: linked, not embedded.
        case file(String)
        /// Nothing to show: `status` is the record's word (`removed`, `missing`, ...), `detail` says why.
        case unavailable(status: String, detail: String)
    }

    struct Slot {
        let position: Int
        let mediaID: String
        let title: String?
        let description: String?
        let content: Content
    }

    let id: ImgurID
    let kind: String
    let title: String?
    let description: String?
    /// ISO 8601, as in the metadata.
    let published: String?
    /// `complete`, `partial`, ... as the metadata says.
    let status: String
    /// The album's page on Imgur, only when it is an `https://imgur.com/` address.
    let sourceURL: String?
    let slots: [Slot]

    /// The title, or the id when the album has none.
    var displayTitle: String {
        guard let title, !title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return id.rawValue }
        return title
    }

    /// The first stored media: what the index shows for the album.
    var cover: Content? {
        slots.lazy.map(\.content).first {
            switch $0 {
            case .image, .video: true
            case .file, .unavailable: false
            }
        }
    }

    var unavailableCount: Int {
        slots.count {
            if case .unavailable = $0.content { return true }
            return false
        }
    }

    /// Reads the album's folder.
    /// - Throws: `ArchiveError.read` naming the document that is missing, unreadable, not JSON or
    ///   not in the documented shape.
    static func load(_ id: ImgurID, layout: StorageLayout) throws(ArchiveError) -> ViewerAlbum {
        let metadataPath = layout.metadata(id)
        let metadata = try document(metadataPath)
        guard metadata.objectValue != nil else { throw .read(path: metadataPath, reason: "not a JSON object") }
        guard let version = metadata["schema_version"]?.int64Value else {
            throw .read(path: metadataPath, reason: "no schema_version")
        }
        guard version == AlbumDocuments.schemaVersion else {
            throw .read(path: metadataPath, reason: "schema_version \(version) is not one this version knows")
        }
        let script = try positions(layout.script(id))
        let descriptionsPath = layout.descriptions(id)
        guard let descriptions = try document(descriptionsPath).objectValue else {
            throw .read(path: descriptionsPath, reason: "not a JSON object")
        }

        var records: [Int: JSONValue] = [:]
        for (index, record) in (metadata["media"]?.arrayValue ?? []).enumerated() {
            let position = record["position"]?.int64Value.map { Int(clamping: $0) } ?? index + 1
            if records[position] == nil { records[position] = record }
        }
        let details = apiImages(metadata["api"])
        let slots = script.map { position, mediaID in
            let api = details[mediaID]
            return Slot(
                position: position, mediaID: mediaID, title: api?["title"]?.nonEmptyString,
                description: descriptions[mediaID]?.stringValue,
                content: content(of: records[position], api: api, album: id, layout: layout))
        }
        let source = metadata["source_url"]?.stringValue
        return ViewerAlbum(
            id: id, kind: metadata["kind"]?.stringValue ?? "album", title: metadata["title"]?.stringValue,
            description: metadata["description"]?.stringValue, published: metadata["published"]?.stringValue,
            status: metadata["status"]?.stringValue ?? "unknown",
            sourceURL: source.flatMap { $0.hasPrefix("https://imgur.com/") ? $0 : nil }, slots: slots)
    }

    // MARK: Documents

    private static func document(_ path: String) throws(ArchiveError) -> JSONValue {
        let data = try FileSystem.read(path, limit: 64 << 20)
        do {
            return try JSONValue.parse(data)
        } catch {
            throw .read(path: path, reason: "not valid JSON")
        }
    }

    /// `script_`'s positions in numeric order, each with its media id.
    private static func positions(_ path: String) throws(ArchiveError) -> [(Int, String)] {
        guard let members = try document(path).objectValue else { throw .read(path: path, reason: "not a JSON object") }
        var result: [(Int, String)] = []
        result.reserveCapacity(members.count)
        for (key, value) in members {
            guard let position = Int(key), position > 0, let mediaID = value.stringValue, ImgurID.isValid(mediaID) else {
                throw .read(path: path, reason: "entry \"\(key)\" is not a position and a media id")
            }
            result.append((position, mediaID))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    /// The API's image objects by id (`api.images` of an album; `api` itself for a single image),
    /// for what the documents do not repeat: dimensions, titles, `animated`.
    private static func apiImages(_ api: JSONValue?) -> [String: JSONValue] {
        guard let api else { return [:] }
        let images = api["images"]?.arrayValue ?? (api["id"] == nil ? [] : [api])
        var byID: [String: JSONValue] = [:]
        for image in images {
            if let id = image["id"]?.stringValue, byID[id] == nil { byID[id] = image }
        }
        return byID
    }

    // MARK: Media

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "gif", "webp", "apng", "avif", "bmp"]
    static let videoExtensions: Set<String> = ["mp4", "webm", "m4v", "mov", "ogv"]

    private static func content(of record: JSONValue?, api: JSONValue?, album: ImgurID, layout: StorageLayout)
        -> Content
    {
        guard let record else {
            return .unavailable(status: "no record", detail: "the album's metadata has no record for this position")
        }
        let status = record["status"]?.stringValue ?? "unknown"
        switch status {
        case "ok":
            break
        case "removed":
            return .unavailable(status: "removed", detail: "Imgur no longer serves this file")
        case "missing":
            let answer = record["http_status"]?.int64Value.map { "Imgur answered HTTP \($0)" } ?? "Imgur did not find this file"
            return .unavailable(status: "missing", detail: answer)
        case "no_link":
            return .unavailable(status: "no link", detail: "Imgur's API gave no link to this file")
        default:
            return .unavailable(status: status, detail: "not in the archive")
        }
        guard let name = record["file"]?.stringValue, let fileExtension = safeExtension(name),
            FileSystem.fileSize(layout.media(album, name)) != nil
        else {
            return .unavailable(status: "not downloaded", detail: "the file is not in this folder")
        }
        let width = dimension(api?["width"])
        let height = dimension(api?["height"])
        if videoExtensions.contains(fileExtension) {
            return .video(file: name, width: width, height: height, animated: api?["animated"]?.boolValue ?? false)
        }
        if imageExtensions.contains(fileExtension) { return .image(file: name, width: width, height: height) }
        return .file(name)
    }

    /// The extension of a file name the archiver could have written (`<mediaID>.<ext>`), nil for
    /// any other name: only such names become links.
    static func safeExtension(_ name: String) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, ImgurID.isValid(parts[0]), (1...5).contains(parts[1].utf8.count),
            parts[1].utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return String(parts[1])
    }

    private static func dimension(_ value: JSONValue?) -> Int? {
        guard let number = value?.int64Value, number > 0, number < 100_000 else { return nil }
        return Int(number)
    }
}
