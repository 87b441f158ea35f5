import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Jobs

/// Puts an archived album back on Imgur (docs/restore-and-sync.md): an upload job whose file is
/// `restored_<ID>.json` in the album folder, so everything the upload jobs promise holds (each
/// media sent once, its deletehash on disk first, a lost answer never blindly resent, a kill -9
/// resumed). The album is made once every media is up, in script order, with the archived texts,
/// privacy and cover; then it is read back and compared with the archive.
public struct RestoreRun: Sendable {
    public struct Outcome: Sendable {
        /// What the uploads did; nil when nothing was sent.
        public var upload: UploadRun.Outcome?
        /// A rerun of a finished restore: nothing was asked of Imgur.
        public var alreadyDone = false
        /// The budget did not allow a single upload: nothing was sent (exit 75).
        public var deferred: RateLimitBudget.Exhausted?
        public var albumID: String?
        /// The read-back: nil when it was not done (media still to send); else what differed.
        public var differences: [String]?
    }

    let run: UploadRun

    public init(_ run: UploadRun) {
        self.run = run
    }

    /// The restore's job file in `folder`: opened when an earlier run made it, else created from
    /// `plan` with every media pending.
    public static func open(_ plan: RestorePlan, folder: Directory, account: String?, now: Date) throws -> JobFile {
        let name = StorageLayout.restoredName(plan.album)
        if folder.exists(name) { return try JobFile.open(name, in: folder) }
        var job = UploadJob(id: UploadJob.newID(), createdAt: now)
        job.restoreOf = plan.album.rawValue
        job.account = account
        job.description = plan.description
        job.privacy = plan.privacy
        if plan.isAlbum { job.album = .new(title: plan.title ?? "", id: nil, deletehash: nil, uncertain: false) }
        let items = plan.media.enumerated().map { offset, media in
            let source = UploadItem.Source.file(path: media.path)
            var item = UploadItem(
                index: offset + 1, source: source, name: JobStore.itemName(job: job.id, index: offset + 1, source), createdAt: now)
            item.title = media.title
            item.description = media.description
            item.restoredFrom = media.id
            item.sha256 = media.sha256
            item.bytes = media.bytes
            return item
        }
        job.coverItem = plan.cover.flatMap { cover in items.first { $0.restoredFrom == cover }?.index }
        return try JobFile.create(job, items: items, in: folder, named: name)
    }

    /// `restore --again`: the finished restore's file kept as `restored_<ID>-<n>.json` (the first
    /// number not taken; never overwritten) so that a new restore starts; the name it got, or nil
    /// when there was none. An unfinished restore is refused: it is finished first, or its uploads
    /// could be sent twice.
    public static func setAsideFinished(_ plan: RestorePlan, folder: Directory) throws -> String? {
        let name = StorageLayout.restoredName(plan.album)
        guard folder.exists(name) else { return nil }
        // Opened as its writer: a restore of it running in another process stops this one.
        let file = try JobFile.open(name, in: folder)
        defer { file.close() }
        guard isDone(file.current.job) else { throw unfinished(plan, folder: folder) }
        var number = 1
        while folder.exists(StorageLayout.earlierRestoredName(plan.album, number)) { number += 1 }
        return try folder.moveAside(name, into: folder, as: StorageLayout.earlierRestoredName(plan.album, number))
    }

    /// Why `--again` does not set an unfinished restore aside.
    public static func unfinished(_ plan: RestorePlan, folder: Directory) -> UploadError {
        .notRestorable(
            album: plan.album.rawValue,
            reason: "its earlier restore (\(folder.path(StorageLayout.restoredName(plan.album)))) is not finished: "
                + "'imgur-archive restore \(plan.album)' finishes it; --again starts a new one after that")
    }

    /// The restore's job as its file has it, read without opening it for writing (`--dry-run`).
    public static func snapshot(_ name: String, in folder: Directory) throws -> (UploadJob, [UploadItem]) {
        try JobFile.snapshot(name, in: folder)
    }

    /// Whether an earlier run finished this restore and read its album back.
    public static func isDone(_ job: UploadJob) -> Bool {
        job.checkedAt != nil && [.completed, .completedWithFailures].contains(job.status)
    }

    public func run(_ file: JobFile) async throws -> Outcome {
        var outcome = Outcome()
        if Self.isDone(file.current.job) {
            outcome.alreadyDone = true
            outcome.albumID = Self.albumID(file.current.job)
            outcome.differences = file.current.job.differences
            return outcome
        }
        // Ask what is left before the first POST, so a restore that cannot start stops here.
        let left = file.current.items.count { [.pending, .failed].contains($0.state) }
        if left > 0 {
            if let credits = try? await run.client.credits() { report(credits, uploads: left, album: file.current.job.album != nil) }
            if let exhausted = run.budget.exhausted(inFlight: 0, cost: .upload) {
                outcome.deferred = exhausted
                try file.updateJob { $0.status = .interrupted }
                return outcome
            }
        }
        let uploads = try await run.run(file)
        outcome.upload = uploads
        outcome.albumID = Self.albumID(file.current.job)
        let settled = uploads.pending + uploads.uncertain + uploads.processing == 0 && !uploads.albumUncertain
        guard settled, !uploads.interrupted, uploads.refused == nil, !Task.isCancelled else { return outcome }
        if file.current.job.album == nil || outcome.albumID != nil {
            let differences = try await RestoreCheck(run: run).check(file)
            try file.updateJob {
                $0.checkedAt = run.now()
                $0.differences = differences
            }
            outcome.differences = differences
        }
        return outcome
    }

    static func albumID(_ job: UploadJob) -> String? {
        if case .new(_, let id, _, _)? = job.album { return id }
        return nil
    }

    /// Says, before anything is sent, whether this hour's credits carry the whole restore.
    private func report(_ credits: RateLimitStatus, uploads: Int, album: Bool) {
        let cost = RestorePlan.cost(uploads: uploads, album: album)
        guard let remaining = credits.userRemaining else { return }
        let fits = Int(min(remaining, credits.clientRemaining ?? remaining)) / 10
        if fits < uploads {
            let reset = credits.userReset.map { ", resetting at \(Timestamp.iso8601($0))" } ?? ""
            run.events.warning(
                "this restore needs \(cost.credits) credits (\(uploads) uploads) and \(remaining) are left this hour\(reset): "
                    + "about \(max(fits, 0)) uploads go now, the album is made once all are up; run the restore again after the reset")
        } else {
            run.events.verbose("credits: \(remaining) left this hour, the restore needs \(cost.credits)")
        }
    }
}
