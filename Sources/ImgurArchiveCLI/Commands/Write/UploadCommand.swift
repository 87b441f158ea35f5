import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Jobs
import Uploader

/// `imgur-archive upload FILE|FOLDER|URL ...` and `upload --resume JOB` (docs/upload-jobs.md).
///
/// Anonymous unless logged in (and not `--anonymous`). Each upload is a job in `upload-jobs/`; the
/// job file's lock, not the storage directory's, keeps two runs off one job, so archiving and
/// uploading can go on side by side.
struct UploadCommand {
    let options: UploadOptions

    func run(_ session: Session) async throws -> ExitCode {
        let credentials = try session.credentials()
        let api = try session.apiConfiguration(credentials)
        let tokens = options.anonymous ? nil : try session.loginTokens(credentials, api: api)
        let store = try session.jobStore()
        let reporter = session.reporter
        let file: JobFile
        if let id = options.resume {
            guard UploadJob.isValidID(id) else { throw CommandError.usage("not an upload job id: \(id)") }
            file = try store.open(id)
            reporter.heading("job", id, "resuming: \(Self.counts(file.current.items))")
        } else {
            let expanded = UploadInputs.expand(options.inputs, base: session.context.currentDirectory)
            if let problem = expanded.problems.first { throw CommandError.usage(problem) }
            let account = await tokens?.current.account
            file = try store.create(
                items: expanded.sources, now: session.context.now(),
                configure: { job in
                    job.title = options.title
                    job.description = options.description
                    job.account = tokens == nil ? nil : (account ?? "me")
                    if let title = options.newAlbum { job.album = .new(title: title, id: nil, deletehash: nil, uncertain: false) }
                    if let target = options.album { job.album = .existing(target) }
                },
                describe: UploadInputs.sidecarDescription)
            let who = tokens == nil ? "anonymously (keep the job file: its deletehashes are the only way to delete them)" : "to your account"
            reporter.heading("job", file.current.job.id, "\(TextFormat.count(file.current.items.count, "item", "items")), \(who)")
        }
        defer { file.close() }
        if file.current.job.account != nil, tokens == nil, !options.anonymous {
            throw CommandError.configuration(
                "job \(file.current.job.id) uploads to an account, but there is no login now ('imgur-archive login')")
        }
        let run = session.uploadRun(api, tokens: tokens, store: store, retryUncertain: options.retryUncertain)
        let outcome = try await run.run(file)
        reporter.summary(Self.summary(outcome, job: file.current.job.id))
        if let refused = outcome.refused {
            reporter.error("\(refused)")
            return ExitStatus.of(refused)
        }
        if outcome.interrupted { return .interrupted }
        if outcome.failed > 0 { return .failure }
        if outcome.pending + outcome.uncertain + outcome.processing > 0 || outcome.albumUncertain { return .temporary }
        return .success
    }

    static func counts(_ items: [UploadItem]) -> String {
        let states = UploadItem.State.allCases.compactMap { state -> String? in
            let count = items.count { $0.state == state }
            return count == 0 ? nil : "\(count) \(state.rawValue)"
        }
        return states.joined(separator: ", ")
    }

    /// `done: 3 uploaded, 1 failed; album AbC12de; job 7f3k2q` and, with items left, how to go on.
    /// `place` names where the job is kept, `resume` the command that finishes it (a restore's
    /// differ from an upload job's).
    static func summary(
        _ outcome: UploadRun.Outcome, job: String, place: String? = nil, resume: String? = nil
    ) -> String {
        var parts: [String] = []
        func add(_ count: Int, _ label: String) { if count > 0 { parts.append("\(count) \(label)") } }
        add(outcome.uploaded, "uploaded")
        add(outcome.failed, "failed")
        add(outcome.pending, "pending")
        add(outcome.uncertain, "uncertain")
        add(outcome.processing, "processing")
        var text = "\(outcome.interrupted ? "stopped by a signal" : "done"): \(parts.isEmpty ? "nothing to upload" : parts.joined(separator: ", "))"
        if let album = outcome.albumID { text += "; album https://imgur.com/a/\(album)" }
        text += "; \(place ?? "job \(job)")"
        if let deferred = outcome.deferred {
            text += "; \(deferred.reason)"
            if let reset = deferred.resetAt { text += ", resets at \(Timestamp.iso8601(reset))" }
        }
        if outcome.pending + outcome.processing > 0 || outcome.interrupted {
            text += "; finish it with: \(resume ?? "imgur-archive upload --resume \(job)")"
        }
        return text
    }
}
