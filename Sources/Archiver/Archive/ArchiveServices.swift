import ArchiveFormat
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// What of an album to fetch and how: the archiving options of a command.
public struct ArchiveRequest: Sendable, Equatable {
    /// Check albums already in the catalog again.
    public var refresh = false
    public var scope: ArchiveScope = .everything
    public var animated: AnimatedFormat = .gif
    /// Keep gallery posts' comments.
    public var comments = false
    /// Walk every page of an account, not only until a page that is all archived.
    public var allPages = false
    public var order: AccountOrder = .newestFirst
    /// Transfers at once.
    public var jobs = 8
    /// Only the entries of this shard (`--shard K/N`, or an engine's task index).
    public var shard: Shard?
    /// `--refresh`: ask (HEAD) whether each file kept on disk is still served (not `verify --repair`).
    public var checkKeptFiles = false

    public init() {}
}

/// In which order an account's items are archived.
public enum AccountOrder: String, Sendable {
    /// Most recent first (the account's pages from the first), the default.
    case newestFirst = "newest-first"
    /// Oldest first (the pages walked, then archived from the last item back).
    case oldestFirst = "oldest-first"
}

/// Everything an archiving run works with, built once per command by the command line's session:
/// the storage directory, the API client, the media transport, the rate-limit budget, the events.
public struct ArchiveServices: Sendable {
    public let layout: StorageLayout
    public let client: ImgurClient
    public let budget: RateLimitBudget
    public let events: any RunEvents
    public let now: @Sendable () -> Date
    let downloader: MediaDownloader

    public init(
        layout: StorageLayout, client: ImgurClient, mediaTransport: any HTTPTransport, budget: RateLimitBudget,
        retrier: Retrier, downloadSettings: DownloadSettings, jobs: Int, events: any RunEvents,
        limitRate: ByteRate? = nil, now: @escaping @Sendable () -> Date
    ) {
        self.layout = layout
        self.client = client
        self.budget = budget
        self.events = events
        self.now = now
        var downloader = MediaDownloader(
            transport: mediaTransport, transfers: AsyncLimiter(limit: jobs), retrier: retrier,
            settings: downloadSettings, now: now, onBytes: { events.bytesReceived($0) },
            onFileStored: { events.fileDone() })
        downloader.onResumed = { events.expectFiles(0, bytes: -$0) }
        downloader.limitRate = limitRate
        self.downloader = downloader
    }

    func archiver(_ request: ArchiveRequest) -> AlbumArchiver {
        var archiver = AlbumArchiver(
            client: client, downloader: downloader, layout: layout, animated: request.animated, scope: request.scope,
            comments: request.comments, mediaWindow: max(2, request.jobs * 2), events: events, now: now)
        archiver.probeKeptFiles = request.checkKeptFiles && request.scope != .metadataOnly
        return archiver
    }

    /// Several sessions, because one session's libcurl runs on one serial queue; each carries at
    /// most four transfers (docs/design.md, "Transport").
    public static func mediaTransport(jobs: Int, userAgent: String) -> URLSessionTransport.Configuration {
        let sessions = max(1, (jobs + 3) / 4)
        return .init(sessions: sessions, connectionsPerSession: (jobs + sessions - 1) / sessions, userAgent: userAgent)
    }
}
