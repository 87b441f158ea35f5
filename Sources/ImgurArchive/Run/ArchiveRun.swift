import Foundation
import ImgurAPI
import Synchronization

/// One archiving run over a storage directory, from its inputs to its exit status.
struct ArchiveRun {
    let options: ArchiveOptions
    let context: RunContext
    let reporter: Reporter

    /// Runs, reporting every problem; returns the exit status.
    func run() async -> ExitCode {
        do {
            return try await execute()
        } catch {
            reporter.clearStatus()
            switch error {
            case .usage(let message):
                context.console.err("Error: \(message)\n\(Usage.line)\n")
                return .usage
            case .locked:
                reporter.error("\(error)")
                return .temporary
            case .missingCredentials, .invalidCredentials, .configuration, .storage, .invalidCatalog:
                reporter.error("\(error)")
                return .configuration
            default:
                reporter.error("\(error)")
                return .failure
            }
        }
    }

    private func execute() async throws(ArchiveError) -> ExitCode {
        let layout = try storageLayout()
        let inputs = try readInputs(layout)
        let credentials = try Credentials.find(environment: context.environment, storage: layout)
        for warning in credentials.warnings { reporter.warning(warning) }
        let api: APIConfiguration
        do {
            api = try APIConfiguration(
                baseURL: context.environment["IMGUR_API_BASE"] ?? APIConfiguration.defaultBaseURL,
                clientID: credentials.clientID)
        } catch {
            throw .configuration("IMGUR_API_BASE: \(error)")
        }
        let lock = try RunLock.acquire(layout.lock, wait: options.wait) {
            reporter.note("waiting for another imgur-archive run to finish with \(layout.root)")
        }
        defer { withExtendedLifetime(lock) {} }

        let catalog = try CatalogFile.open(layout.catalog, now: context.now())
        if let note = catalog.repairNote { reporter.warning(note) }

        var tally = Tally()
        tally.invalidInputs = inputs.invalid.count
        for invalid in inputs.invalid { reporter.error("\(invalid)") }
        reporter.expectAlbums(inputs.entries.count)
        var work: [(InputEntry, ImgurID)] = []
        for entry in inputs.entries {
            switch entry.reference {
            case .album(let id), .gallery(let id):
                if !options.refresh, catalog.contains(id) {
                    tally.alreadyArchived += 1
                    reporter.album(.alreadyArchived, id.rawValue, "")
                } else if !options.refresh,
                    let recovered = ArchivedAlbum(path: layout.metadata(id))?.catalogEntry(for: id, layout: layout)
                {
                    try catalog.append(recovered)
                    tally.alreadyArchived += 1
                    reporter.album(.alreadyArchived, id.rawValue, "(folder complete; added to the catalog)")
                } else {
                    work.append((entry, id))
                }
            case .image(let id):
                tally.invalidInputs += 1
                reporter.album(.failed, id.rawValue, "\(entry.origin): a single image, not an album; only albums are supported so far")
            case .user(let name):
                tally.invalidInputs += 1
                reporter.album(.failed, name, "\(entry.origin): an account, not an album; only albums are supported so far")
            }
        }

        let committer = Committer(catalog: catalog, reporter: reporter, tally: tally)
        let interrupted = await archive(work, layout: layout, api: api, committer: committer)
        let final = try await committer.finish()
        // With --quiet a clean run prints nothing at all (cron mails only on trouble).
        if reporter.verbosity > .quiet || final.exitCode != .success || interrupted {
            reporter.summary(final.summary(seconds: reporter.elapsed))
        }
        if let (error, code) = committer.fatalError {
            reporter.error("\(error)")
            return code
        }
        return interrupted ? .interrupted : final.exitCode
    }

    /// Archives `work`; true when cancelled. Up to twice `--jobs` albums are in flight, so that
    /// albums waiting for their API answer or finishing their last file do not leave transfer places
    /// idle; transfers themselves never exceed `--jobs` (MediaDownloader's limiter).
    private func archive(
        _ work: [(InputEntry, ImgurID)], layout: StorageLayout, api: APIConfiguration, committer: Committer
    ) async -> Bool {
        guard !work.isEmpty else { return false }
        let budget = RateLimitBudget(reserve: context.reserve)
        let retrier = Retrier(policy: context.retryPolicy) { reporter.retry($0) }
        let userAgent = "imgur-archive/\(Usage.version)"
        let client = ImgurClient(
            configuration: api,
            transport: VerboseTransport(
                URLSessionTransport(
                    configuration: .init(sessions: 1, connectionsPerSession: 4, userAgent: userAgent)),
                reporter: reporter),
            retrier: retrier, onRateLimit: budget.update)
        let mediaTransport = VerboseTransport(
            URLSessionTransport(configuration: Self.mediaTransport(jobs: options.jobs, userAgent: userAgent)),
            reporter: reporter)
        let downloader = MediaDownloader(
            transport: mediaTransport, transfers: AsyncLimiter(limit: options.jobs), layout: layout, retrier: retrier,
            settings: context.downloadSettings,
            now: context.now, onBytes: { reporter.bytesReceived($0) }, onFileStored: { reporter.fileDone() })
        let archiver = AlbumArchiver(
            client: client, downloader: downloader, layout: layout, animated: options.animated, now: context.now)

        return await withTaskGroup(of: Void.self) { group in
            var next = 0
            var inFlight = 0
            while next < work.count {
                if Task.isCancelled { break }
                if committer.fatalError != nil { break }
                if inFlight >= Self.albumWindow(jobs: options.jobs) {
                    await group.next()
                    inFlight -= 1
                    continue
                }
                if let exhausted = budget.exhausted(inFlight: inFlight) {
                    let count = work.count - next
                    committer.record(deferred: count)
                    var text = "\(count) \(count == 1 ? "album" : "albums") deferred: \(exhausted.reason)"
                    if let reset = exhausted.resetAt { text += "; the limit resets at \(Timestamp.clock(reset))" }
                    reporter.warning(text + "; run again later to continue")
                    break
                }
                let index = next
                let (_, id) = work[index]
                next += 1
                inFlight += 1
                group.addTask {
                    let result = await archiveOne(id, archiver: archiver, budget: budget)
                    committer.commit(index, id, result)
                    budget.firstAnswer.fire()
                }
                // One request first: its rate-limit headers say how much may follow.
                if index == 0 { await budget.firstAnswer.wait() }
            }
            if committer.fatalError != nil { group.cancelAll() }
            await group.waitForAll()
            return Task.isCancelled
        }
    }

    private func archiveOne(_ id: ImgurID, archiver: AlbumArchiver, budget: RateLimitBudget) async -> AlbumResult {
        do {
            return .archived(try await archiver.archive(id))
        } catch let error as ImgurAPIError {
            switch error {
            case .notFound:
                return .unavailable(
                    CatalogEntry(id: id, status: .unavailable, recordedAt: context.now(), reason: error.description))
            case .invalidClientID:
                return .fatal(.configuration(error.description), .configuration)
            case .rateLimited(_, _, let resetAt):
                budget.block("Imgur answered 429 Too Many Requests", resetAt: resetAt)
                return .deferred(error.description)
            default:
                return .failed(error.description, temporary: error.isTransient)
            }
        } catch let error as ArchiveError {
            if case .write = error { return .fatal(error, .failure) }
            return .failed(error.description, temporary: error.isTransient)
        } catch is CancellationError {
            return .cancelled
        } catch {
            return .failed("\(error)", temporary: false)
        }
    }

    static func albumWindow(jobs: Int) -> Int { jobs * 2 }

    /// Several sessions, because one session's libcurl runs on one serial queue; each carries at
    /// most four transfers.
    static func mediaTransport(jobs: Int, userAgent: String) -> URLSessionTransport.Configuration {
        let sessions = max(1, (jobs + 3) / 4)
        return .init(sessions: sessions, connectionsPerSession: (jobs + sessions - 1) / sessions, userAgent: userAgent)
    }

    // MARK: Inputs and storage

    private func storageLayout() throws(ArchiveError) -> StorageLayout {
        var path = options.directory ?? context.currentDirectory
        if !path.hasPrefix("/") { path = "\(context.currentDirectory)/\(path)" }
        path = (path as NSString).standardizingPath
        guard FileSystem.isDirectory(path) else {
            throw .storage(path: path, reason: FileSystem.exists(path) ? "not a directory" : "does not exist")
        }
        return StorageLayout(root: path)
    }

    /// Arguments when given (an invalid one is a usage error: nothing runs), else links.txt (an
    /// invalid line is reported with its number and skipped).
    private func readInputs(_ layout: StorageLayout) throws(ArchiveError) -> InputList {
        if !options.inputs.isEmpty {
            var list = InputList()
            for (index, text) in options.inputs.enumerated() { list.add(text, origin: "argument \(index + 1)") }
            if let first = list.invalid.first { throw .usage("\(first.error)") }
            return list
        }
        guard FileSystem.exists(layout.links) else {
            throw .usage("nothing to archive: give album ids or URLs, or list them in \(layout.links)")
        }
        return try InputList.read(linksFile: layout.links)
    }
}
