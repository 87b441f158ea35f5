import ArchiveFormat
import DurableFiles
import ExactJSON
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
        /// When a refresh found Imgur no longer lists it (the archive still has it).
        var removedUpstreamAt: Date? = nil
    }

    /// What changed on Imgur since the album was first archived (its history): how many changes,
    /// and when the last one was seen.
    var changes: (count: Int, last: Date)?

    let id: ImgurID
    let kind: AlbumKind
    let title: String?
    let description: String?
    /// ISO 8601, as in the metadata.
    let published: String?
    /// `complete`, `partial`, ... as the metadata says.
    let status: AlbumStatus
    /// The album's page on Imgur, only when it is an `https://imgur.com/` address.
    let sourceURL: String?
    let slots: [Slot]
    /// The bytes of its stored media files (the index shows it).
    var bytes: Int64 = 0

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

    /// Reads the album's folder through `AlbumFolder`.
    /// - Throws: `FormatError` naming the document that is missing, unreadable, not JSON, not in the
    ///   documented shape or of a newer schema.
    static func load(_ id: ImgurID, layout: StorageLayout) throws(FormatError) -> ViewerAlbum {
        let folder: Directory
        do {
            folder = try layout.albumFolder(id)
        } catch {
            throw .document(path: layout.folder(id), reason: "\(error)")
        }
        let reading = AlbumFolder.read(id, in: folder)
        if let problem = reading.unreadable(in: layout) { throw problem }
        guard let metadata = reading.metadata, let script = reading.script else {
            throw .document(path: layout.metadata(id), reason: "not readable")
        }
        var records: [Int: MediaRecord] = [:]
        for record in metadata.media where records[record.position] == nil { records[record.position] = record }
        let details = try apiDetails(metadata)
        let slots = script.keys.sorted().map { position in
            let mediaID = script[position] ?? ""
            let record = records[position].flatMap { $0.id.rawValue == mediaID ? $0 : nil }
            let api = details[mediaID]
            return Slot(
                position: position, mediaID: mediaID, title: record?.title ?? api?.title,
                description: reading.descriptions?[mediaID] ?? nil,
                content: content(of: records[position], api: api, folder: folder),
                removedUpstreamAt: record?.removedUpstreamAt)
        }
        var album = ViewerAlbum(
            id: id, kind: metadata.kind, title: metadata.title, description: metadata.description,
            published: metadata.published.map(Timestamp.iso8601(unix:)), status: metadata.status,
            sourceURL: metadata.sourceURL.hasPrefix("https://imgur.com/") ? metadata.sourceURL : nil, slots: slots)
        album.bytes = metadata.media.reduce(0) { $0 + ($1.status == .ok ? $1.bytes ?? 0 : 0) }
        let history = AlbumFolder.history(of: id, in: folder)
        if let last = history.last { album.changes = (history.count, last.at) }
        return album
    }

    /// What the documents do not repeat of an API image object: dimensions, `animated`.
    private struct APIDetails {
        var title: String?
        var width: Int?
        var height: Int?
        var animated: Bool
    }

    /// The details of each of the API's image objects by id (`api.images` of an album, read one
    /// at a time when kept on disk; `api` itself for a single image).
    private static func apiDetails(_ metadata: AlbumMetadata) throws(FormatError) -> [String: APIDetails] {
        var byID: [String: APIDetails] = [:]
        do {
            try metadata.forEachAPIImage { image in
                guard let id = image["id"]?.stringValue, byID[id] == nil else { return }
                byID[id] = APIDetails(
                    title: image["title"]?.nonEmptyString, width: dimension(image["width"]), height: dimension(image["height"]),
                    animated: image["animated"]?.boolValue ?? false)
            }
        } catch {
            throw .document(path: "metadata_\(metadata.id).json", reason: "its image list could not be read back: \(error)")
        }
        return byID
    }

    // MARK: Media

    private static func content(of record: MediaRecord?, api: APIDetails?, folder: Directory) -> Content
    {
        guard let record else {
            return .unavailable(status: "no record", detail: "the album's metadata has no record for this position")
        }
        switch record.status {
        case .ok:
            break
        case .removed:
            return .unavailable(status: "removed", detail: "Imgur no longer serves this file")
        case .missing:
            let answer = record.httpStatus.map { "Imgur answered HTTP \($0)" } ?? "Imgur did not find this file"
            return .unavailable(status: "missing", detail: answer)
        case .noLink:
            return .unavailable(status: "no link", detail: "Imgur's API gave no link to this file")
        case .notDownloaded, .sizeMismatch:
            return .unavailable(status: record.status.rawValue, detail: "not in the archive")
        }
        guard let name = record.file, let (_, type) = MediaFileName.parse(name),
            folder.fileSize(name) != nil
        else {
            return .unavailable(status: "not downloaded", detail: "the file is not in this folder")
        }
        let (width, height) = (api?.width, api?.height)
        switch type.display {
        case .video:
            return .video(file: name, width: width, height: height, animated: api?.animated ?? false)
        case .image:
            return .image(file: name, width: width, height: height)
        case .file:
            return .file(name)
        }
    }

    private static func dimension(_ value: JSONValue?) -> Int? {
        guard let number = value?.int64Value, number > 0, number < 100_000 else { return nil }
        return Int(number)
    }
}
