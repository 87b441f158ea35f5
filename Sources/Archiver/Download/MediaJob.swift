import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI

/// One media file to fetch into an album folder.
struct MediaJob: Sendable {
    let album: ImgurID
    /// The album's folder, open: every file of the download is opened relative to it.
    let folder: Directory
    let source: MediaSource
    /// `<mediaID>.<ext>`, a valid `MediaFileName`.
    let fileName: String
    /// What the API said the file weighs (may be wrong; recorded beside what arrived).
    let apiSize: Int64?

    var subject: String { "\(album)/\(fileName)" }
    var partialName: String { StorageLayout.partialName(fileName) }
    var stateName: String { StorageLayout.resumeStateName(fileName) }
}

/// A media file on disk, verified.
struct StoredMedia: Sendable, Equatable {
    let fileName: String
    let bytes: Int64
    let sha256: String
    /// The MIME type the file's own first bytes show: a property of the file, the same whichever
    /// run fetched it (the server's Content-Type is not kept, since a run that only finds the file
    /// on disk could not know it).
    let detectedType: String?
    let url: String
}

/// A media item Imgur no longer serves (or that this run did not fetch).
struct UnavailableMedia: Sendable, Equatable {
    /// `removed`, `missing`, `no_link` or `not_downloaded`.
    let status: MediaStatus
    let httpStatus: Int?
    let url: String?
    let seenAt: Date
}

enum MediaOutcome: Sendable, Equatable {
    case stored(StoredMedia)
    case unavailable(UnavailableMedia)
}

/// Timeouts and limits for media requests.
public struct DownloadSettings: Sendable, Equatable {
    /// A transfer with no byte for this long fails (and is resumed).
    public var idleTimeout: TimeInterval
    /// One request never runs longer than this; a longer download continues in the next request
    /// from where it stopped, so this bounds a stuck transfer, not the file size.
    public var deadline: TimeInterval
    public var maxRedirects: Int

    public init(idleTimeout: TimeInterval = 30, deadline: TimeInterval = 900, maxRedirects: Int = 5) {
        self.idleTimeout = idleTimeout
        self.deadline = deadline
        self.maxRedirects = maxRedirects
    }
}

extension MediaRecord {
    /// The record of `image` at `position` after the download's `outcome`.
    init(position: Int, image: Image, outcome: MediaOutcome) {
        switch outcome {
        case .stored(let stored):
            self.init(
                position: position, id: image.id, type: image.type, apiSize: image.size, status: .ok,
                file: stored.fileName, bytes: stored.bytes, sha256: stored.sha256, detectedType: stored.detectedType,
                url: stored.url, title: image.title, description: image.description)
        case .unavailable(let unavailable):
            self.init(
                position: position, id: image.id, type: image.type, apiSize: image.size, status: unavailable.status,
                url: unavailable.url, httpStatus: unavailable.httpStatus, seenAt: unavailable.seenAt,
                title: image.title, description: image.description)
        }
    }
}
