import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Jobs
import Uploader

/// `imgur-archive sync` (docs/restore-and-sync.md): the folders of `sync.txt` kept in step with
/// their albums by content, then its album-only lines archived as `imgur-archive ID` does. The
/// storage directory's lock is held (shared for `--dry-run`).
struct SyncCommand {
    let options: SyncOptions

    func run(_ session: Session) async throws -> ExitCode {
        let layout = session.layout
        guard layout.directory.exists(SyncList.fileName) else {
            throw CommandError.usage("no \(SyncList.fileName) in \(layout.root): list the folders to sync there (see sync.txt.example)")
        }
        let text = String(decoding: try layout.directory.read(SyncList.fileName, limit: 16 << 20), as: UTF8.self)
        let list = SyncList.parse(text, base: layout.root)
        if let problem = list.problems.first { throw CommandError.usage(problem) }
        var status = ExitCode.success
        if !list.pairs.isEmpty { status = try await sync(list.pairs, session) }
        if !list.albums.isEmpty, status != .interrupted {
            var archive = ArchiveOptions()
            archive.inputs = list.albums.map(\.rawValue)
            archive.dryRun = options.dryRun
            let archived = try await ArchiveCommand(options: archive).run(session)
            status = RestoreCommand.worse(status, archived)
        }
        return status
    }

    private func sync(_ pairs: [SyncList.Pair], _ session: Session) async throws -> ExitCode {
        let reporter = session.reporter
        let credentials = try session.credentials()
        let api = try session.apiConfiguration(credentials)
        let tokens = options.anonymous ? nil : try session.loginTokens(credentials, api: api)
        let lock = try await session.lock(shared: options.dryRun)
        defer { withExtendedLifetime(lock) {} }
        let root = session.layout.directory
        let store = try options.dryRun && !root.hasSubdirectory(JobStore.folderName) ? JobStore.none(root: root) : session.jobStore()
        let upload = session.uploadRun(api, tokens: tokens, store: store, retryUncertain: options.retryUncertain)
        var runOptions = SyncRun.Options()
        runOptions.delete = options.delete
        runOptions.push = options.push
        runOptions.dryRun = options.dryRun
        runOptions.privacy = options.privacy ?? "hidden"
        let state = options.dryRun ? nil : try SyncState.open(in: root)
        defer { state?.close() }
        let log = options.dryRun ? nil : try SyncLog(in: root, now: session.context.now)
        defer { log?.close() }
        let snapshot = options.dryRun ? try SyncState.snapshot(in: root) : ([:], [:], [:])
        let outcome = try await SyncRun(upload: upload, state: state, snapshot: snapshot, log: log, options: runOptions).run(pairs)
        reporter.summary(Self.summary(outcome, folders: pairs.count, dryRun: options.dryRun))
        if let refused = outcome.refused {
            reporter.error("\(refused)")
            return ExitStatus.of(refused)
        }
        if outcome.interrupted { return .interrupted }
        if outcome.failed > 0 || outcome.disagreements > 0 { return .failure }
        if outcome.deferred != nil || outcome.left > 0 { return .temporary }
        return .success
    }

    static func summary(_ outcome: SyncRun.Outcome, folders: Int, dryRun: Bool) -> String {
        if dryRun {
            return "dry run: \(TextFormat.count(outcome.planned, "operation", "operations")) in "
                + "\(TextFormat.count(folders, "folder", "folders")); nothing was changed"
        }
        var parts: [String] = []
        func add(_ count: Int, _ label: String) { if count > 0 { parts.append("\(count) \(label)") } }
        add(outcome.uploaded, "uploaded")
        add(outcome.moved, "moved or renamed")
        add(outcome.kept, "kept on Imgur (use --delete)")
        add(outcome.deleted, "deleted on Imgur")
        add(outcome.reordered, outcome.reordered == 1 ? "album ordered" : "albums ordered")
        add(outcome.failed, "failed")
        add(outcome.disagreements, "changed on Imgur (reported)")
        add(outcome.left, "left for the next sync")
        var text = "\(outcome.interrupted ? "stopped by a signal" : "done"): "
            + (parts.isEmpty ? "nothing to do" : parts.joined(separator: ", ")) + " in \(TextFormat.count(folders, "folder", "folders"))"
        if let deferred = outcome.deferred {
            text += "; \(deferred.reason)"
            if let reset = deferred.resetAt { text += ", resets at \(Timestamp.iso8601(reset))" }
        }
        return text
    }
}
