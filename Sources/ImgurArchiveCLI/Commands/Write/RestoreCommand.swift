import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Jobs
import Uploader

/// `imgur-archive restore ID|DIR ...` (docs/restore-and-sync.md): each archived album back on
/// Imgur as a new album, anonymous unless logged in, its progress and the old-to-new mapping in
/// `restored_<ID>.json` in its folder. The storage directory's lock is held shared: an archive run
/// does not rewrite a folder while it is being restored.
struct RestoreCommand {
    let options: RestoreOptions

    func run(_ session: Session) async throws -> ExitCode {
        var seen: Set<String> = []
        // An album named twice (its id and its folder) is restored once.
        let folders = try options.targets.map { try Self.folder($0, session: session) }.filter { seen.insert($0.0.rawValue).inserted }
        // --again renames a restore's file: no other restore may have it open meanwhile.
        let lock = try await session.lock(shared: !options.again)
        defer { withExtendedLifetime(lock) {} }
        var plans: [(RestorePlan, Directory)] = []
        for (id, folder) in folders {
            plans.append((try RestorePlan.read(id, folder: folder, privacy: options.privacy), folder))
        }
        if options.dryRun { return try await dryRun(plans, session) }
        let credentials = try session.credentials()
        let api = try session.apiConfiguration(credentials)
        let tokens = options.anonymous ? nil : try session.loginTokens(credentials, api: api)
        let store = try session.jobStore()
        let restore = RestoreRun(session.uploadRun(api, tokens: tokens, store: store, retryUncertain: options.retryUncertain))
        let account = tokens == nil ? nil : (await tokens?.current.account ?? "me")
        var worst = ExitCode.success
        for (plan, folder) in plans {
            let status = try await one(plan, folder: folder, restore: restore, account: account, session: session)
            worst = Self.worse(worst, status)
            if status == .interrupted || status == .temporary && Task.isCancelled { break }
        }
        return worst
    }

    private func one(_ plan: RestorePlan, folder: Directory, restore: RestoreRun, account: String?, session: Session)
        async throws -> ExitCode
    {
        let reporter = session.reporter
        let album = plan.album.rawValue
        if options.again, let kept = try RestoreRun.setAsideFinished(plan, folder: folder) {
            reporter.note("\(plan.album): the earlier restore's file is kept as \(folder.path(kept)); restoring again")
        }
        let file = try RestoreRun.open(plan, folder: folder, account: account, now: session.context.now())
        defer { file.close() }
        let where_ = "\(folder.path)/\(StorageLayout.restoredName(plan.album))"
        if file.current.job.account != nil, account == nil, !options.anonymous {
            throw CommandError.configuration("the restore of \(album) uploads to an account, but there is no login now ('imgur-archive login')")
        }
        if !RestoreRun.isDone(file.current.job) {
            let who = account == nil ? "anonymously (its deletehashes are kept in \(where_))" : "to your account"
            reporter.heading("restore", album, "\(Self.describe(plan)), \(who)")
            for skipped in plan.skipped { reporter.result(.skipped, skipped.id, skipped.reason) }
        }
        let outcome = try await restore.run(file)
        let link = outcome.albumID.map { "https://imgur.com/a/\($0)" }
        if outcome.alreadyDone {
            let when = file.current.job.finishedAt.map { " on \(Timestamp.iso8601($0))" } ?? ""
            reporter.result(.alreadyArchived, album, "restored\(when) as \(link ?? Self.images(file.current.items)) (\(where_)); nothing to do")
            return Self.report(outcome.differences ?? [], album: album, reporter: reporter) ? .success : .failure
        }
        if let deferred = outcome.deferred {
            reporter.summary(
                "deferred: \(album) not started: \(deferred.reason)\(deferred.resetAt.map { ", resets at \(Timestamp.iso8601($0))" } ?? "")"
                    + "; run imgur-archive restore \(album) again then")
            return .temporary
        }
        guard let uploads = outcome.upload else { return .failure }
        var text = UploadCommand.summary(
            uploads, job: file.current.job.id, place: where_, resume: "imgur-archive restore \(album)")
        if !plan.skipped.isEmpty { text += "; \(plan.skipped.count) skipped (not in the archive)" }
        if uploads.uncertain > 0, account == nil {
            text += "; check, then: imgur-archive restore \(album) --retry-uncertain"
        }
        if let refused = uploads.refused {
            reporter.summary(text)
            reporter.error("\(refused)")
            return ExitStatus.of(refused)
        }
        if let differences = outcome.differences {
            let matched = Self.report(differences, album: outcome.albumID ?? album, reporter: reporter)
            reporter.summary("\(text)\(link.map { "; restored as \($0)" } ?? "")")
            if uploads.interrupted { return .interrupted }
            return matched && uploads.failed == 0 ? .success : .failure
        }
        reporter.summary(text)
        if uploads.interrupted { return .interrupted }
        if uploads.failed > 0, uploads.pending + uploads.uncertain + uploads.processing == 0 { return .failure }
        return .temporary
    }

    /// Prints the read-back's verdict; true when the album matched the archive.
    private static func report(_ differences: [String], album: String, reporter: Reporter) -> Bool {
        if differences.isEmpty {
            reporter.heading("checked", album, "read back: order, titles and descriptions as archived")
            return true
        }
        for difference in differences { reporter.result(.damaged, album, difference) }
        return false
    }

    // MARK: --dry-run

    private func dryRun(_ plans: [(RestorePlan, Directory)], _ session: Session) async throws -> ExitCode {
        let reporter = session.reporter
        var uploads = 0
        var albums = 0
        var refused = false
        for (plan, folder) in plans {
            var done = (try? Self.progress(plan, folder: folder)) ?? nil
            if options.again, let earlier = done {
                guard earlier.finished else {
                    // What the real run would refuse (RestoreRun.setAsideFinished).
                    reporter.error("\(RestoreRun.unfinished(plan, folder: folder))")
                    refused = true
                    continue
                }
                reporter.note("\(plan.album): --again would keep the earlier restore's file and restore it once more")
                done = nil
            }
            if let done, done.finished {
                reporter.result(.alreadyArchived, plan.album.rawValue, "restored already (\(StorageLayout.restoredName(plan.album))); nothing to do")
                continue
            }
            let left = plan.media.indices.filter { !(done?.sent.contains($0 + 1) ?? false) }
            reporter.heading("restore", plan.album.rawValue, Self.describe(plan) + (done == nil ? "" : "; resuming: \(left.count) to send"))
            for index in left {
                let media = plan.media[index]
                let texts = [media.title.map { "\"\($0)\"" }, media.description.map { "description: \($0.count) characters" }]
                    .compactMap { $0 }.joined(separator: ", ")
                reporter.result(
                    .wouldArchive, media.id,
                    "\(index + 1). \((media.path as NSString).lastPathComponent)\(texts.isEmpty ? "" : "  \(texts)")\(media.id == plan.cover ? "  (cover)" : "")")
            }
            for skipped in plan.skipped { reporter.result(.skipped, skipped.id, skipped.reason) }
            uploads += left.count
            if plan.isAlbum, done?.albumMade != true { albums += 1 }
        }
        let credits = uploads * 10 + albums
        var text = "dry run: \(TextFormat.count(uploads, "upload", "uploads")) and \(TextFormat.count(albums, "album", "albums")): "
            + "\(credits) credits, \(uploads + albums) POSTs"
        if uploads > 0, let left = await Self.credits(session) {
            text += "; \(left) credits left this hour"
            if Int64(credits) > left { text += " (not enough: the restore goes on over several runs)" }
        }
        reporter.summary(text + "; nothing was sent")
        return refused ? .failure : .success
    }

    /// What an earlier run of this restore did: the items sent, whether the album exists, whether
    /// it finished.
    private static func progress(_ plan: RestorePlan, folder: Directory) throws -> (sent: Set<Int>, albumMade: Bool, finished: Bool)? {
        let name = StorageLayout.restoredName(plan.album)
        guard folder.exists(name) else { return nil }
        let (job, items) = try RestoreRun.snapshot(name, in: folder)
        let sent = Set(items.filter { $0.state != .pending && $0.state != .failed }.map(\.index))
        return (sent, RestoreRun.isDone(job) || { if case .new(_, _?, _, _)? = job.album { true } else { false } }(), RestoreRun.isDone(job))
    }

    /// The credits left this hour (`GET /3/credits`, which costs none), or nil when it cannot be asked.
    private static func credits(_ session: Session) async -> Int64? {
        guard let credentials = try? session.credentials(), let api = try? session.apiConfiguration(credentials) else { return nil }
        let budget = RateLimitBudget(reserve: session.context.reserve)
        let status = try? await session.writeClient(api, tokens: nil, budget: budget).credits()
        guard let status, let user = status.userRemaining else { return nil }
        return min(user, status.clientRemaining ?? user)
    }

    // MARK: Targets

    /// The album folder a target names: an archived album's id in this storage directory, or a
    /// path to an album folder (named by its album's id).
    static func folder(_ target: String, session: Session) throws -> (ImgurID, Directory) {
        if let id = ImgurID(target), session.layout.hasAlbumFolder(id) {
            return (id, try session.layout.albumFolder(id))
        }
        let path = target.hasPrefix("/") ? target : "\(session.context.currentDirectory)/\(target)"
        let name = ((path as NSString).standardizingPath as NSString).lastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandError.usage("not an archived album here, nor an album folder: \(target)")
        }
        guard let id = ImgurID(name), FileManager.default.fileExists(atPath: "\(path)/\(StorageLayout.metadataName(id))") else {
            throw CommandError.usage("not an album folder (no metadata_<ID>.json named by the folder): \(target)")
        }
        do {
            return (id, try Directory.open((path as NSString).standardizingPath))
        } catch {
            throw CommandError.usage("cannot open the album folder \(target): \(error)")
        }
    }

    static func describe(_ plan: RestorePlan) -> String {
        let what = plan.isAlbum
            ? "\(plan.title.map { "\"\($0)\"" } ?? "untitled") as a new \(plan.privacy) album"
            : "the image"
        return "\(what): \(TextFormat.count(plan.media.count, "media file", "media files"))"
            + (plan.skipped.isEmpty ? "" : ", \(plan.skipped.count) skipped")
    }

    static func images(_ items: [UploadItem]) -> String {
        items.compactMap(\.link).joined(separator: ", ")
    }

    static func worse(_ a: ExitCode, _ b: ExitCode) -> ExitCode {
        let order: [ExitCode] = [.success, .temporary, .failure, .configuration, .interrupted, .terminated]
        return (order.firstIndex(of: b) ?? 0) > (order.firstIndex(of: a) ?? 0) ? b : a
    }
}
