import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Jobs
import Synchronization

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
    /// The most bytes this download may bring (`DownloadSettings.limit(forAPISize:)`).
    let limit: Int64

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
    /// `size_mismatch`: the bytes that came, and where they were kept (relative to the storage directory).
    var bytes: Int64? = nil
    var keptAside: String? = nil
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
    /// The largest file Imgur serves is far below this (uploads stop at 200 MB): an API `size` above
    /// it is implausible, and a download with no plausible size stops here.
    public var largestMedia: Int64
    /// One file, across all its attempts in a run, may take this long at most ...
    public var fileTimeLimit: TimeInterval
    /// ... and, once `rateGrace` has passed, must average at least this many bytes per second:
    /// a server that drips a byte at a time cannot hold a run (and its lock) for ever. The file is
    /// deferred to the next run (exit 75).
    public var minimumRate: Double
    public var rateGrace: TimeInterval

    public init(
        idleTimeout: TimeInterval = 30, deadline: TimeInterval = 900, maxRedirects: Int = 5,
        largestMedia: Int64 = 1 << 30, fileTimeLimit: TimeInterval = 7200, minimumRate: Double = 16_384,
        rateGrace: TimeInterval = 60
    ) {
        self.idleTimeout = idleTimeout
        self.deadline = deadline
        self.maxRedirects = maxRedirects
        self.largestMedia = largestMedia
        self.fileTimeLimit = fileTimeLimit
        self.minimumRate = minimumRate
        self.rateGrace = rateGrace
    }

    /// A size the API gives that can be true: above 0, at most `largestMedia`.
    public func isPlausible(_ size: Int64?) -> Bool {
        size.map { $0 > 0 && $0 <= largestMedia } ?? false
    }

    /// The most bytes a download may bring: the API's size plus 1% (at least 64 KiB) when it is
    /// plausible, else `largestMedia`. Nothing beyond it reaches the disk.
    public func limit(forAPISize size: Int64?) -> Int64 {
        guard let size, isPlausible(size) else { return largestMedia }
        return size + max(64 << 10, size / 100)
    }
}

/// The time and bytes one file has taken so far in this run, across its attempts.
final class DownloadPace: Sendable {
    private let started: TimeInterval
    private let bytes = Atomic<Int64>(0)
    private let settings: DownloadSettings

    init(settings: DownloadSettings) {
        self.settings = settings
        started = ProcessInfo.processInfo.systemUptime
    }

    func add(_ count: Int) {
        bytes.add(Int64(count), ordering: .relaxed)
    }

    /// Why the file must wait for the next run, nil while its pace is acceptable.
    func tooSlow(_ url: String) -> ArchiveError? {
        let elapsed = ProcessInfo.processInfo.systemUptime - started
        if elapsed > settings.fileTimeLimit {
            return .tooSlow(url: url, reason: "still not complete after \(TextFormat.duration(elapsed))")
        }
        let rate = Double(bytes.load(ordering: .relaxed)) / max(elapsed, 0.001)
        if elapsed > settings.rateGrace, rate < settings.minimumRate {
            return .tooSlow(
                url: url,
                reason: "\(TextFormat.size(Int64(rate)))/s on average over \(TextFormat.duration(elapsed)), below the \(TextFormat.size(Int64(settings.minimumRate)))/s a file must keep")
        }
        return nil
    }
}

extension MediaRecord {
    /// The record of `image` at `position` after the download's `outcome`.
    init(position: Int, image: Image, outcome: MediaOutcome) {
        // An empty title is no title (the documents read it back that way).
        let title = image.title.flatMap { $0.isEmpty ? nil : $0 }
        switch outcome {
        case .stored(let stored):
            self.init(
                position: position, id: image.id, type: image.type, apiSize: image.size, status: .ok,
                file: stored.fileName, bytes: stored.bytes, sha256: stored.sha256, detectedType: stored.detectedType,
                url: stored.url, title: title, description: image.description)
        case .unavailable(let unavailable):
            self.init(
                position: position, id: image.id, type: image.type, apiSize: image.size, status: unavailable.status,
                bytes: unavailable.bytes, url: unavailable.url, httpStatus: unavailable.httpStatus,
                seenAt: unavailable.seenAt, keptAside: unavailable.keptAside, title: title,
                description: image.description)
        }
    }
}
