import Foundation
import ImgurAPI
import Synchronization

/// One archiving run over a storage directory, from its inputs to its exit status.
struct ArchiveRun {
    let options: ArchiveOptions
    let context: RunContext
    let reporter: Reporter
    /// `imgur-archive user NAME`: the account to archive instead of arguments or links.txt.
    var account: String? = nil
    /// Set by `verify --repair`, which already holds the storage directory's lock (and keeps it
    /// from its checks through the repair, so no other run can slip in between).
    var lockHeld = false

    /// Runs, reporting every problem; returns the exit status.
    func run() async -> ExitCode {
        do {
            return try await execute()
        } catch {
            return error.report(to: reporter, console: context.console)
        }
    }

    /// What the run works with once set up.
    private struct Services {
        let layout: StorageLayout
        let client: ImgurClient
        let archiver: AlbumArchiver
        let budget: RateLimitBudget
    }

    private func execute() async throws(ArchiveError) -> ExitCode {
        let layout = try StorageLayout.resolve(options.directory, in: context.currentDirectory)
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
        let lock = lockHeld ? nil : try RunLock.acquire(layout.lock, wait: options.wait) {
            reporter.note("waiting for another imgur-archive run to finish with \(layout.root)")
        }
        defer { withExtendedLifetime(lock) {} }

        let catalog = try CatalogFile.open(layout.catalog, now: context.now())
        if let note = catalog.repairNote { reporter.warning(note) }

        let services = makeServices(layout: layout, api: api)
        var tally = Tally()
        tally.invalidInputs = inputs.invalid.count
        for invalid in inputs.invalid { reporter.error("\(invalid)") }
        var accounts = Accounts(log: AccountLog.load(layout.accounts))
        let work = try await plan(inputs.entries, catalog: catalog, services: services, tally: &tally, accounts: &accounts)

        let committer = Committer(catalog: catalog, reporter: reporter, tally: tally)
        let interrupted = await archive(work, services: services, committer: committer)
        let final = try await committer.finish()
        if final.exitCode == .success, !interrupted, committer.fatalError == nil, options.scope == .everything {
            for name in accounts.walkedToTheEnd { try accounts.log.record(name, complete: true, at: context.now()) }
        }
        // With --quiet a clean run prints nothing at all (cron mails only on trouble).
        if reporter.verbosity > .quiet || final.exitCode != .success || interrupted {
            reporter.summary(final.summary(seconds: reporter.elapsed))
        }
        if let error = committer.fatalError {
            reporter.error("\(error)")
            return error.exitCode
        }
        return interrupted ? .interrupted : final.exitCode
    }

    private func makeServices(layout: StorageLayout, api: APIConfiguration) -> Services {
        let budget = RateLimitBudget(reserve: context.reserve)
        let retrier = Retrier(policy: context.retryPolicy) { reporter.retry($0) }
        let userAgent = "imgur-archive/\(Usage.version)"
        let client = ImgurClient(
            configuration: api,
            transport: VerboseTransport(
                URLSessionTransport(configuration: .init(sessions: 1, connectionsPerSession: 4, userAgent: userAgent)),
                reporter: reporter),
            retrier: retrier, onRateLimit: budget.update)
        let mediaTransport = VerboseTransport(
            URLSessionTransport(configuration: Self.mediaTransport(jobs: options.jobs, userAgent: userAgent)),
            reporter: reporter)
        let downloader = MediaDownloader(
            transport: mediaTransport, transfers: AsyncLimiter(limit: options.jobs), layout: layout, retrier: retrier,
            settings: context.downloadSettings, now: context.now, onBytes: { reporter.bytesReceived($0) },
            onFileStored: { reporter.fileDone() })
        let archiver = AlbumArchiver(
            client: client, downloader: downloader, layout: layout, animated: options.animated, scope: options.scope,
            comments: options.comments, now: context.now)
        return Services(layout: layout, client: client, archiver: archiver, budget: budget)
    }

    // MARK: Planning

    /// The accounts of the run: what `accounts.json` says, and which walks saw every item.
    private struct Accounts {
        var log: AccountLog
        /// Accounts whose walk reached the end of their listings, or stopped early where that is safe.
        var walkedToTheEnd: [String] = []
    }

    /// What needs Imgur, in input order. Albums already done are reported here without a request;
    /// a complete folder missing from the catalog is added back to it; accounts are walked.
    private func plan(
        _ entries: [InputEntry], catalog: CatalogFile, services: Services, tally: inout Tally, accounts: inout Accounts
    ) async throws(ArchiveError) -> [WorkItem] {
        var work: [WorkItem] = []
        var planned: Set<ImgurID> = []
        for entry in entries {
            let source: WorkItem.Source
            switch entry.reference {
            case .album: source = .album
            case .gallery: source = .gallery
            case .image: source = .image
            case .user(let name):
                reporter.expectAlbums(0)
                let items = try await walk(name, catalog: catalog, services: services, tally: &tally, accounts: &accounts)
                for item in items where planned.insert(item.id).inserted { work.append(item) }
                reporter.expectAlbums(items.count)
                continue
            }
            guard let id = entry.reference.id else { continue }
            reporter.expectAlbums(1)
            if !options.refresh, catalog.isDone(id, for: options.scope) {
                tally.alreadyArchived += 1
                reporter.album(.alreadyArchived, id.rawValue, "")
            } else if !options.refresh, !catalog.contains(id), let recovered = recoverable(id, layout: services.layout) {
                try catalog.append(recovered)
                tally.alreadyArchived += 1
                reporter.album(.alreadyArchived, id.rawValue, "(folder complete; added to the catalog)")
            } else if planned.insert(id).inserted {
                work.append(WorkItem(id: id, source: source))
            }
        }
        return work
    }

    /// A folder whose documents say it is finished for this run's scope, with every file there.
    private func recoverable(_ id: ImgurID, layout: StorageLayout) -> CatalogEntry? {
        guard let entry = ArchivedAlbum(path: layout.metadata(id))?.catalogEntry(for: id, layout: layout),
            entry.status.isDone(for: options.scope)
        else { return nil }
        return entry
    }

    /// The items of an account that still need work, with one line saying what the walk found.
    /// While any are left, `accounts.json` says the account is not complete, so that the next walk
    /// goes past pages already archived to the older ones.
    private func walk(
        _ name: String, catalog: CatalogFile, services: Services, tally: inout Tally, accounts: inout Accounts
    ) async throws(ArchiveError) -> [WorkItem] {
        let walker = AccountWalker(
            client: services.client, budget: services.budget,
            mayStopEarly: !options.allPages && accounts.log.isComplete(name), order: options.order,
            isDone: { !options.refresh && catalog.isDone($0, for: options.scope) })
        do {
            let walk = try await walker.walk(name)
            if !walk.items.isEmpty || walk.deferred != nil, accounts.log.isComplete(name) {
                try accounts.log.record(name, complete: false, at: context.now())
            }
            if walk.deferred == nil, walk.malformed == 0 { accounts.walkedToTheEnd.append(name) }
            var text = "\(walk.items.count) to archive from \(walk.pages) \(walk.pages == 1 ? "page" : "pages")"
            if walk.stoppedEarly { text += " (stopped at a page already archived; --all-pages walks them all)" }
            if walk.malformed > 0 {
                text += "; \(walk.malformed) listed items without a valid id were skipped"
                tally.failed += 1
            }
            reporter.account(name, text)
            if let deferred = walk.deferred {
                tally.deferred += 1
                var message = "the walk of account \(name) stopped: \(deferred.reason)"
                if let reset = deferred.resetAt { message += "; the limit resets at \(Timestamp.clock(reset))" }
                reporter.warning(message + "; run again later to continue")
            }
            return walk.items
        } catch let error as ImgurAPIError {
            if error.isTransient { tally.failedTemporarily += 1 } else { tally.failed += 1 }
            reporter.album(.failed, name, "account: \(error)")
        } catch {
            tally.failed += 1
            reporter.album(.failed, name, "account: \(error)")
        }
        return []
    }

    // MARK: Archiving

    /// Archives `work`; true when cancelled. Up to twice `--jobs` albums are in flight, so that
    /// albums waiting for their API answer or finishing their last file do not leave transfer places
    /// idle; transfers themselves never exceed `--jobs` (MediaDownloader's limiter).
    private func archive(_ work: [WorkItem], services: Services, committer: Committer) async -> Bool {
        guard !work.isEmpty else { return false }
        let budget = services.budget
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
                let item = work[index]
                next += 1
                inFlight += 1
                group.addTask {
                    let result = await archiveOne(item, archiver: services.archiver, budget: budget)
                    committer.commit(index, item.id, result)
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

    private func archiveOne(_ item: WorkItem, archiver: AlbumArchiver, budget: RateLimitBudget) async -> AlbumResult {
        do {
            return .archived(try await archiver.archive(item))
        } catch let error as ImgurAPIError {
            switch error {
            case .notFound:
                // With `--refresh` or `verify --repair`, an album Imgur deleted may already be in the
                // archive: that copy, and its catalog entry, are what the archive is for.
                let metadata = archiver.layout.metadata(item.id)
                if (try? await BlockingIO.run { FileSystem.exists(metadata) }) == true {
                    return .goneFromImgur(error.description)
                }
                return .unavailable(
                    CatalogEntry(id: item.id, status: .unavailable, recordedAt: context.now(), reason: error.description))
            case .invalidClientID:
                return .fatal(.configuration(error.description))
            case .rateLimited(_, _, let resetAt):
                budget.block("Imgur answered 429 Too Many Requests", resetAt: resetAt)
                return .deferred(error.description)
            default:
                return .failed(error.description, temporary: error.isTransient)
            }
        } catch let error as ArchiveError {
            if case .write = error { return .fatal(error) }
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

    // MARK: Inputs

    /// The account of `imgur-archive user NAME`, else arguments when given (an invalid one is a
    /// usage error: nothing runs), else links.txt (an invalid line is reported and skipped).
    private func readInputs(_ layout: StorageLayout) throws(ArchiveError) -> InputList {
        if let account {
            var list = InputList()
            list.add("https://imgur.com/user/\(account)", origin: "argument")
            return list
        }
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
