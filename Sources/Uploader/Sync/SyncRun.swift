import ArchiveFormat
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// One `sync` (docs/restore-and-sync.md): each folder of `sync.txt` compared with the last agreed
/// state by content, the changes carried out on Imgur (uploads through an upload job, so they are
/// never lost or sent twice), each recorded in the state file as soon as Imgur has done it, and
/// each album's order set to the folder's name order. Nothing local is ever deleted.
public struct SyncRun: Sendable {
    public struct Options: Sendable {
        /// Delete on Imgur what was deleted here (and older versions of edited files).
        public var delete = false
        /// Upload again what Imgur lost (images, or a whole deleted album).
        public var push = false
        public var dryRun = false
        /// A new album's privacy.
        public var privacy = "hidden"

        public init() {}
    }

    /// What the run did, for the summary and the exit status.
    public struct Outcome: Sendable {
        public var uploaded = 0
        public var moved = 0
        public var deleted = 0
        public var kept = 0
        public var reordered = 0
        public var unchanged = 0
        /// Changes on Imgur since the last sync that were only reported (no --push), and orders
        /// Imgur did not apply: the two sides disagree.
        public var disagreements = 0
        public var failed = 0
        /// Uploads left for the next run (the budget, a lost answer, a video still processing).
        public var left = 0
        public var deferred: RateLimitBudget.Exhausted?
        public var refused: (any Error & Sendable)?
        public var interrupted = false
        /// What a dry run would do, one entry per operation.
        public var planned = 0
    }

    let upload: UploadRun
    let state: SyncState?
    let snapshot: (folders: [String: SyncState.Folder], files: [String: SyncState.File], images: [String: SyncState.Image])
    let log: SyncLog?
    let options: Options
    /// A dry run's snapshot by folder (the open state keeps its own).
    private let snapshotFiles: [String: [SyncState.File]]
    private let snapshotImages: [String: [SyncState.Image]]
    /// What this run learnt on the way: album listings, images that arrived in an album.
    let memory = SyncMemory()

    /// - Parameters:
    ///   - state: the open state file; nil with `dryRun`, which reads `snapshot` and writes nothing.
    public init(
        upload: UploadRun, state: SyncState?,
        snapshot: (folders: [String: SyncState.Folder], files: [String: SyncState.File], images: [String: SyncState.Image]),
        log: SyncLog?, options: Options
    ) {
        self.upload = upload
        self.state = state
        self.snapshot = snapshot
        snapshotFiles = Dictionary(grouping: snapshot.files.values, by: \.folder)
        snapshotImages = Dictionary(grouping: snapshot.images.values, by: \.folder)
        self.log = log
        self.options = options
    }

    var events: any RunEvents { upload.events }
    var client: ImgurClient { upload.client }
    var identity: RequestIdentity { upload.settings.identity }
    var byAccount: Bool { identity == .account && client.isLoggedIn }

    // The state as this run sees it: the open file, or the snapshot of a dry run.
    func folderRecord(_ path: String) -> SyncState.Folder? { state?.folders[path] ?? snapshot.folders[path] }
    var allFiles: [SyncState.File] { Array((state?.files ?? snapshot.files).values) }
    var allImages: [SyncState.Image] { Array((state?.images ?? snapshot.images).values) }
    /// One folder's records: what the per-folder steps use (`allFiles` copies every folder's).
    func files(in folder: String) -> [SyncState.File] { state?.files(in: folder) ?? snapshotFiles[folder] ?? [] }
    func images(in folder: String) -> [SyncState.Image] { state?.images(in: folder) ?? snapshotImages[folder] ?? [] }
    func fileRecord(_ folder: String, _ path: String) -> SyncState.File? {
        state?.file(folder, path) ?? snapshot.files[SyncRecord.fileKey(folder, path)]
    }

    public func run(_ pairs: [SyncList.Pair]) async throws -> Outcome {
        var outcome = Outcome()
        var folders: [SyncState.Folder] = []
        var blocked: Set<String> = []
        for pair in pairs {
            var folder = folderRecord(pair.folder) ?? SyncState.Folder(path: pair.folder)
            if folder.paired != pair.album?.rawValue {
                // sync.txt pairs it with another album than last time: that album from now on (a
                // new album --push made for a deleted paired one is not undone by this).
                folder.paired = pair.album?.rawValue
                if let album = pair.album?.rawValue, folder.album != album {
                    folder.album = album
                    folder.deletehash = nil
                    folder.albumGone = false
                }
                if !options.dryRun { try state?.save(folder) }
            }
            // An earlier sync's uploads come first: their answers are in their job.
            if folder.job != nil {
                if options.dryRun {
                    events.heading("unfinished", display(folder.path), "an earlier sync's uploads are unfinished; sync finishes them")
                    previewJob(folder, outcome: &outcome)
                    blocked.insert(folder.path)
                } else if try await !finishJob(&folder, outcome: &outcome) {
                    blocked.insert(folder.path)
                }
            }
            folders.append(folder)
        }
        if outcome.interrupted || outcome.refused != nil { return outcome }

        // Every folder is scanned before anything is planned: a move crosses folders.
        var local: [SyncPlan.Local] = []
        var scanned: Set<String> = []
        // Records of files a scan could not look at: never taken for deleted.
        var unseen: Set<String> = []
        for folder in folders where !blocked.contains(folder.path) {
            guard let result = try await scan(folder.path, outcome: &outcome) else { continue }
            scanned.insert(folder.path)
            local += result.files
            unseen.formUnion(result.unseen)
        }
        let plan = SyncPlan.make(
            local: local, state: allFiles.filter { scanned.contains($0.folder) && !unseen.contains(SyncRecord.fileKey($0.folder, $0.path)) },
            kept: allImages.filter { scanned.contains($0.folder) })
        for folder in folders where folder.album != nil && !folder.albumGone { memory.markHasAlbum(folder.path) }
        // Images two files of one folder stand for (a rename a kill cut short): counted once, not
        // searched for again with every deleted file.
        var standing: [String: Int] = [:]
        for file in allFiles where file.state == .synced && scanned.contains(file.folder) {
            if let id = file.imgurID { standing["\(file.folder)\u{0}\(id)", default: 0] += 1 }
        }
        memory.markShared(standing.filter { $0.value > 1 }.keys)
        var uploads: [String: [Pending]] = [:]
        for change in plan.changes {
            if let pending = try await apply(change, outcome: &outcome) { uploads[pending.folder, default: []].append(pending) }
        }
        for index in folders.indices where scanned.contains(folders[index].path) {
            var folder = folders[index]
            let more = try await checkRemote(&folder, outcome: &outcome)
            uploads[folder.path, default: []] += more
            if folder.album == nil {
                // Files synced into no album (an album creation refused before, a push cut short):
                // they go into the folder's new album.
                let taken = Set(uploads[folder.path, default: []].map(\.path))
                for file in files(in: folder.path) where file.state == .synced && !taken.contains(file.path)
                    && !unseen.contains(SyncRecord.fileKey(file.folder, file.path))
                {
                    uploads[folder.path, default: []].append(Pending(folder: folder.path, path: file.path, reason: "its folder has no album on Imgur yet"))
                }
            }
            if folder.albumGone, !options.push, let pending = uploads[folder.path], !pending.isEmpty {
                events.warning("\(display(folder.path)): \(pending.count) file(s) not uploaded: the album was deleted on Imgur (sync --push makes a new one)")
                outcome.left += pending.count
                uploads[folder.path] = nil
            }
            // One item per file, whatever asked for it (an edit and a push of the same file).
            var seenPaths: Set<String> = []
            uploads[folder.path] = uploads[folder.path]?.filter { seenPaths.insert($0.path).inserted }
            if let pending = uploads[folder.path], !pending.isEmpty {
                let (sent, links) = splitLinks(pending, folder: folder)
                if options.dryRun {
                    outcome.planned += sent.count + (!sent.isEmpty && (folder.album == nil || folder.albumGone) ? 1 : 0)
                    for item in sent.sorted(by: { NaturalOrder.less($0.path, $1.path) }) {
                        events.heading("would upload", display(folder.path, item.path), item.reason)
                        if let content = item.content { memory.uploaded(content.sha256, as: SyncState.File(folder: content.folder, path: content.path, size: content.size, mtime: content.mtime, sha256: content.sha256, state: .synced)) }
                    }
                    if !sent.isEmpty, folder.album == nil || folder.albumGone { events.heading("would create", display(folder.path), "a new \(options.privacy) album") }
                } else if !sent.isEmpty, try await !send(sent, into: &folder, outcome: &outcome) {
                    folders[index] = folder
                    if outcome.interrupted || outcome.refused != nil { return outcome }
                    continue
                }
                // Only into an album: when every upload that was to make it failed, there is none,
                // and the next sync finds these files again (then uploaded into the album it makes).
                if options.dryRun || (folder.album != nil && !folder.albumGone) {
                    for (file, other) in links { try link(file, as: other, outcome: &outcome) }
                }
            }
            folders[index] = folder
        }
        if options.delete { try await sweepDeletions(scanned, outcome: &outcome) }
        for folder in folders where scanned.contains(folder.path) && folder.album != nil && !folder.albumGone {
            try await setOrder(folder, outcome: &outcome)
        }
        return outcome
    }

    /// A file to upload, and why.
    struct Pending: Sendable {
        let folder: String
        let path: String
        let reason: String
        /// New content (as scanned) that another folder may hold too: linked instead of sent
        /// when this run uploads it for that folder, or when it is already on Imgur (`sameAs`)
        /// and this folder gets an album from its other uploads.
        var content: SyncPlan.Local? = nil
        var sameAs: SyncState.File? = nil
    }

    /// `--dry-run` of a folder whose earlier sync left an upload job: what finishing it would do,
    /// item by item, from the job's file (read, not opened for writing).
    func previewJob(_ folder: SyncState.Folder, outcome: inout Outcome) {
        guard let id = folder.job, let (job, items) = try? JobFile.snapshot(JobStore.fileName(id), in: upload.store.folder) else { return }
        for item in items {
            guard case .file(let path) = item.source else { continue }
            let shown = path.hasPrefix(folder.path + "/") ? String(path.dropFirst(folder.path.count + 1)) : path
            switch item.state {
            case .pending, .failed:
                outcome.planned += 1
                events.heading("would upload", display(folder.path, shown), "job \(id), item \(item.index)\(item.state == .failed ? " (failed before: \(item.error ?? "refused"))" : "")")
            case .sending, .uncertain:
                events.heading(
                    "uncertain", display(folder.path, shown),
                    "job \(id), item \(item.index): its answer was lost; looked for by name with a login, else sent again only with --retry-uncertain")
            case .processing:
                events.heading("would check", display(folder.path, shown), "job \(id), item \(item.index): Imgur was still processing it")
            default:
                continue
            }
        }
        if case .new(_, nil, _, false)? = job.album {
            outcome.planned += 1
            events.heading("would create", display(folder.path), "the folder's album, of the job's uploads")
        }
    }

    /// What of `pending` is sent, and what is linked to one upload instead: content this run
    /// uploads for another folder, or already has on Imgur, once this folder has an album (its own,
    /// or one its other uploads make). A folder with nothing else to upload sends it after all: its
    /// album is made of uploads.
    ///
    /// A link joins the album when its order is set, so only where that can be done: logged in, a
    /// new album (all of it ours), or an anonymous album whose listing holds only images this sync
    /// has deletehashes for. Within one folder an album lists an image once: one file per content
    /// is linked, another of the same content is sent.
    func splitLinks(_ pending: [Pending], folder: SyncState.Folder) -> (sent: [Pending], links: [(SyncPlan.Local, SyncState.File)]) {
        var sent: [Pending] = []
        var links: [(SyncPlan.Local, SyncState.File)] = []
        var linked: Set<String> = []
        let orderable = byAccount || folder.album == nil || folder.albumGone || {
            guard let listed = memory.listing(for: folder.path) else { return false }
            let handled = Set(files(in: folder.path).filter { $0.deletehash != nil }.compactMap(\.imgurID)
                + images(in: folder.path).filter { $0.deletehash != nil }.map(\.id))
            return listed.allSatisfy(handled.contains)
        }()
        for item in pending {
            if orderable, let file = item.content, let other = item.sameAs ?? memory.upload(of: file.sha256, outside: folder.path),
                options.dryRun || other.deletehash != nil || byAccount, linked.insert(file.sha256).inserted
            {
                links.append((file, other))
            } else {
                sent.append(item)
            }
        }
        if sent.isEmpty, folder.album == nil || folder.albumGone { return (pending, []) }
        return (sent, links)
    }

    func display(_ folder: String, _ path: String? = nil) -> String {
        path.map { "\(folder)/\($0)" } ?? folder
    }

    func record(_ op: String, folder: String, path: String? = nil, _ extra: [String: String?] = [:]) {
        do {
            try log?.record(op, folder: folder, path: path, extra.compactMapValues { $0 }.mapValues { .string($0) })
        } catch {
            events.warning("cannot write the sync log: \(error)")
        }
    }

    // MARK: Local files

    /// The supported files of `folder` with their content hashes (unchanged size and mtime reuse
    /// the recorded hash: nothing is read); nil when the folder is missing (never taken for an
    /// emptied one: nothing is deleted).
    private func scan(_ path: String, outcome: inout Outcome) async throws -> (files: [SyncPlan.Local], unseen: Set<String>)? {
        let synced = files(in: path).filter { $0.state == .synced }
        guard let scan = try await BlockingIO.run({ FolderScan.scan(path) }) else {
            events.result(.failed, display(path), "the folder is missing or not a folder: nothing done for it (its album is left as it is)")
            outcome.failed += 1
            return nil
        }
        if scan.files.isEmpty, scan.links.isEmpty, !synced.isEmpty {
            // An unmounted disk leaves an empty mount point: never taken for every file deleted.
            events.result(
                .failed, display(path),
                "the folder is empty, but \(synced.count) file(s) were synced from it: nothing done for it (a disk not mounted?). "
                    + "To empty the album, delete its images on Imgur, or remove the folder from sync.txt")
            outcome.failed += 1
            return nil
        }
        var unseen: Set<String> = []
        if !scan.isComplete {
            for problem in scan.unreadable { events.warning("\(display(path)): cannot read \(problem); what it holds is not taken for deleted") }
            let seen = Set(scan.files.map(\.path) + scan.links)
            for file in synced where !seen.contains(file.path) { unseen.insert(SyncRecord.fileKey(path, file.path)) }
        }
        var files: [SyncPlan.Local] = []
        for link in scan.links {
            try noteUnsupported(path, link, size: -1, mtime: -1, "a symbolic link: not followed", outcome: &outcome)
        }
        let check = upload.settings.check
        for entry in scan.files {
            let record = fileRecord(path, entry.path)
            if let record, record.size == entry.size, record.mtime == entry.mtime {
                if record.state == .unsupported { continue }
                if record.state == .synced, let sha = record.sha256 {
                    files.append(SyncPlan.Local(folder: path, path: entry.path, size: entry.size, mtime: entry.mtime, sha256: sha))
                    continue
                }
            }
            let full = "\(path)/\(entry.path)"
            let inspected: Result<(MediaType, Int64, String), UploadError>
            do {
                inspected = try await BlockingIO.run { try UploadRun.inspect(full, check) }
            } catch {
                // A read error is not a verdict on the file: its record stays, and it is not deleted.
                events.warning("\(display(path, entry.path)): cannot read it (\(error)); left as it was")
                unseen.insert(SyncRecord.fileKey(path, entry.path))
                continue
            }
            switch inspected {
            case .failure(.notUploadable(_, let reason)) where reason == "cannot be read":
                events.warning("\(display(path, entry.path)): cannot read it; left as it was")
                unseen.insert(SyncRecord.fileKey(path, entry.path))
            case .failure(let error):
                let reason: String
                if case .notUploadable(_, let why) = error { reason = why } else { reason = "\(error)" }
                try noteUnsupported(path, entry.path, size: entry.size, mtime: entry.mtime, reason, outcome: &outcome)
            case .success(let (_, _, digest)):
                files.append(SyncPlan.Local(folder: path, path: entry.path, size: entry.size, mtime: entry.mtime, sha256: digest))
            }
        }
        return (files, unseen)
    }

    /// Reported once: the record remembers it until the file changes.
    private func noteUnsupported(_ folder: String, _ path: String, size: Int64, mtime: Int64, _ reason: String, outcome: inout Outcome) throws {
        if let record = fileRecord(folder, path), record.state == .unsupported, record.size == size, record.mtime == mtime { return }
        events.result(.skipped, display(folder, path), reason)
        if let previous = fileRecord(folder, path), previous.state == .synced, let id = previous.imgurID {
            // It was an image before: the image stays on Imgur like a deleted file's.
            try state?.save(
                SyncState.Image(id: id, deletehash: previous.deletehash, folder: folder, path: path, sha256: previous.sha256, state: .kept))
        }
        try state?.save(
            SyncState.File(folder: folder, path: path, size: size, mtime: mtime, sha256: nil, state: .unsupported, imgurID: nil, deletehash: nil, link: nil))
        record("unsupported", folder: folder, path: path, ["reason": reason])
    }
}
