import ArchiveFormat
import Archiver
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs
import Synchronization

/// What a command works with, built once per command (docs/design.md, "Session"): the storage
/// directory, its lock, the credentials, the API client, the transports, the rate-limit budget and
/// the reporter. Commands ask it for what they need, in the order their errors should win.
struct Session {
    let context: RunContext
    let global: GlobalOptions
    let reporter: Reporter
    let layout: StorageLayout

    init(global: GlobalOptions, context: RunContext, reporter: Reporter) throws {
        self.global = global
        var context = context
        if let text = context.environment["IMGUR_ARCHIVE_RESERVE"], !text.isEmpty {
            // docs/scale-out.md, "Rate limits": tasks sharing one client id each leave this much.
            let numbers = text.split(separator: ",", omittingEmptySubsequences: false).map { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...3).contains(numbers.count), numbers.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw CommandError.configuration("IMGUR_ARCHIVE_RESERVE is '\(text)', not client[,user[,posts]] (numbers, such as 250,10,10)")
            }
            let defaults = RateLimitReserve()
            context.reserve = RateLimitReserve(
                client: numbers[0]!, user: numbers.count > 1 ? numbers[1]! : defaults.user, posts: numbers.count > 2 ? numbers[2]! : defaults.posts)
        }
        self.context = context
        self.reporter = reporter
        layout = try StorageLayout.resolve(global.directory, in: context.currentDirectory)
    }

    var userAgent: String { "imgur-archive/\(Usage.version)" }

    /// The storage directory's run lock; with `--wait`, waiting for another run to finish (and
    /// stopping at once on SIGINT or SIGTERM). `shared` for commands that only read.
    func lock(shared: Bool = false) async throws -> RunLock {
        try await lock(layout, shared: shared)
    }

    /// The run lock of another storage directory (`merge`'s sources and destination), the same way.
    func lock(_ layout: StorageLayout, shared: Bool = false) async throws -> RunLock {
        let stop = Atomic<Bool>(false)
        let (wait, reporter) = (global.wait, self.reporter)
        return try await withTaskCancellationHandler {
            try await BlockingIO.run {
                try RunLock.acquire(
                    layout.directory, shared: shared, wait: wait,
                    onWait: { reporter.note("waiting for another imgur-archive run to finish with \(layout.root)") },
                    shouldStop: { stop.load(ordering: .relaxed) })
            }
        } onCancel: {
            stop.store(true, ordering: .relaxed)
        }
    }

    /// Commands that only read an archive (`verify`, `html`) refuse a directory without a catalog:
    /// a mistyped `--dir` in cron must not pass as "0 albums intact" or get an empty index.
    func requireArchive() throws {
        guard layout.directory.exists(StorageLayout.catalogName) else { throw CommandError.notAnArchive(path: layout.root) }
    }

    /// The client id and where it came from (warning when its file is readable by others; a note,
    /// once, when none is configured and the public one is used).
    func credentials() throws -> Credentials {
        let credentials = try Credentials.find(environment: context.environment, storage: layout)
        for warning in credentials.warnings { reporter.warning(warning) }
        if credentials.isPublicFallback {
            reporter.note(
                "note: no client id configured; using the public client id of imgur.com's own pages, as gallery-dl "
                    + "and yt-dlp do (set IMGUR_CLIENT_ID or api_secrets.json to use your own)")
        }
        return credentials
    }

    /// Where the API is, with the client id.
    func apiConfiguration(_ credentials: Credentials) throws -> APIConfiguration {
        do {
            var api = try APIConfiguration(
                baseURL: context.environment["IMGUR_API_BASE"] ?? APIConfiguration.defaultBaseURL,
                clientID: credentials.clientID)
            (api.uploadIdleTimeout, api.uploadDeadline) = context.uploadTimeouts
            return api
        } catch {
            throw CommandError.configuration("IMGUR_API_BASE: \(error)")
        }
    }

    /// The client, the media transport and the budget an archiving run needs.
    /// - Parameter tokens: the login, for `user me` (hidden and secret albums need it).
    func archiveServices(_ api: APIConfiguration, tokens: (any AccessTokenSource)? = nil) -> ArchiveServices {
        let budget = RateLimitBudget(reserve: context.reserve)
        let reporter = self.reporter
        let retrier = Retrier(policy: context.retryPolicy) { reporter.retry($0) }
        let client = ImgurClient(
            configuration: api, transport: apiTransport(), retrier: retrier, accessTokens: tokens, onRateLimit: budget.update)
        let mediaTransport = VerboseTransport(self.mediaTransport(), reporter: reporter)
        var settings = context.downloadSettings
        if let limit = global.limitRate {
            // Under --limit-rate every transfer gets its share; the floor for "too slow" must be
            // below it, or every file would be deferred.
            settings.minimumRate = min(settings.minimumRate, Double(limit) / Double(4 * global.jobs))
        }
        return ArchiveServices(
            layout: layout, client: client, mediaTransport: mediaTransport, budget: budget, retrier: retrier,
            downloadSettings: settings, jobs: global.jobs, events: reporter,
            limitRate: global.limitRate.map { ByteRate(bytesPerSecond: $0) }, now: context.now)
    }

    /// The transport for media: libcurl driven directly, one connection per `--jobs`
    /// (docs/performance.md, "A media transport on libcurl"); URLSession when
    /// `IMGUR_ARCHIVE_MEDIA_TRANSPORT=urlsession` asks for it or libcurl's functions are not found.
    private func mediaTransport() -> any HTTPTransport {
        if context.environment["IMGUR_ARCHIVE_MEDIA_TRANSPORT"] != "urlsession", CurlTransport.isAvailable {
            return CurlTransport(configuration: .init(connections: global.jobs, userAgent: userAgent))
        }
        return URLSessionTransport(configuration: ArchiveServices.mediaTransport(jobs: global.jobs, userAgent: userAgent))
    }

    /// The transport to the API host: one session, four connections, `--verbose` logging.
    func apiTransport() -> any HTTPTransport {
        VerboseTransport(
            URLSessionTransport(configuration: .init(sessions: 1, connectionsPerSession: 4, userAgent: userAgent)),
            reporter: reporter)
    }

    /// The catalog, opened (and its tail repaired) under the lock.
    func openCatalog() throws -> Catalog {
        let catalog = try Catalog.open(in: layout, now: context.now())
        if let note = catalog.repairNote { reporter.warning(note) }
        return catalog
    }
}
