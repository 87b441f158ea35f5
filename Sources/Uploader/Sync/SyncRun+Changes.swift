import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Jobs

/// Carrying out what the plan found in the folders (docs/restore-and-sync.md, "What sync does").
extension SyncRun {
    /// Records a change that needs no upload; returns the upload one needs.
    func apply(_ change: SyncPlan.Change, outcome: inout Outcome) async throws -> Pending? {
        let dry = options.dryRun
        switch change {
        case .touched(let file, var record):
            record.size = file.size
            record.mtime = file.mtime
            try state?.save(record)
            return nil
        case .new(let file):
            return Pending(folder: file.folder, path: file.path, reason: "new", content: file)
        case .edited(let file, let previous):
            return Pending(folder: file.folder, path: file.path, reason: "edited: replaces \(previous.imgurID ?? "its old version") in the album")
        case .moved(let file, let from) where from.folder != file.folder && !memory.hasAlbum(file.folder):
            // Its new folder has no album yet: the album is made of uploads, so it is uploaded into
            // it. The old image stays as it is: the next sync finds its file gone from the old
            // folder (kept on Imgur, deleted with --delete), once the upload is done.
            return Pending(folder: file.folder, path: file.path, reason: "moved here from \(display(from.folder, from.path)); this folder has no album yet: uploaded into its new one")
        case .sameContent(let file, let other) where !memory.hasAlbum(file.folder):
            return Pending(
                folder: file.folder, path: file.path,
                reason: "the same content as \(display(other.folder, other.path)); this folder has no album yet: uploaded into its new one",
                content: file, sameAs: other)
        case .moved(let file, let from):
            let rename = from.folder == file.folder
            let label = rename ? "renamed" : "moved"
            let detail = rename
                ? "from \(from.path): the same image \(from.imgurID ?? ""), nothing sent"
                : "from \(display(from.folder, from.path)): the image \(from.imgurID ?? "") moves between the albums, not uploaded again"
            if dry {
                outcome.planned += 1
                events.heading("would be \(label)", display(file.folder, file.path), detail)
                return nil
            }
            var moved = synced(file, like: from)
            moved.placed = rename && from.placed  // in its new album only once the update went through
            try state?.save(moved)
            // Its old path may hold other content now (a swap of two names): that path's own
            // change writes its record.
            var info = stat()
            if lstat("\(from.folder)/\(from.path)", &info) != 0 { try state?.save(absent(from)) }
            memory.touch(from.folder)
            if !rename { memory.arrived(from.imgurID, in: file.folder) }
            events.heading(label, display(file.folder, file.path), detail)
            record(label, folder: file.folder, path: file.path, ["from_folder": from.folder, "from_path": from.path, "image": from.imgurID])
            outcome.moved += 1
            return nil
        case .sameContent(let file, let other):
            try link(file, as: other, outcome: &outcome)
            return nil
        case .returned(let file, var image):
            let detail = "the content of \(image.id), kept on Imgur since its file was deleted: that image again"
            if dry {
                outcome.planned += 1
                events.heading("would return", display(file.folder, file.path), detail)
                return nil
            }
            let record = SyncState.File(
                folder: file.folder, path: file.path, size: file.size, mtime: file.mtime, sha256: file.sha256, state: .synced,
                imgurID: image.id, deletehash: image.deletehash, link: nil)
            try state?.save(record)
            image.state = .returned
            try state?.save(image)
            events.heading("returned", display(file.folder, file.path), detail)
            self.record("returned", folder: file.folder, path: file.path, ["image": image.id])
            return nil
        case .displaced(let file):
            guard let id = file.imgurID, !dry else { return nil }
            if !memory.isShared(id, in: file.folder) {
                try state?.save(SyncState.Image(id: id, deletehash: file.deletehash, folder: file.folder, path: file.path, sha256: file.sha256, state: options.delete ? .replaced : .kept))
                memory.touch(file.folder)
                if !options.delete {
                    events.heading("kept", display(file.folder, file.path), "replaced here by a renamed file: \(id) kept on Imgur (use --delete)")
                    outcome.kept += 1
                }
            }
            return nil
        case .deleted(let file):
            guard let id = file.imgurID else { return nil }
            if dry {
                outcome.planned += 1
                events.heading(
                    options.delete ? "would delete" : "would keep", display(file.folder, file.path),
                    options.delete ? "deleted here: \(id) would be deleted on Imgur" : "deleted here: \(id) stays on Imgur (use --delete)")
                return nil
            }
            // Another file of the folder stands for the same image (a rename a kill cut short, the
            // same content twice): nothing is left to keep or delete.
            if memory.isShared(id, in: file.folder) {
                try state?.save(absent(file))
                return nil
            }
            try state?.save(SyncState.Image(id: id, deletehash: file.deletehash, folder: file.folder, path: file.path, sha256: file.sha256, state: .kept))
            try state?.save(absent(file))
            memory.touch(file.folder)
            if !options.delete {
                events.heading("kept", display(file.folder, file.path), "deleted here: \(id) kept on Imgur (use --delete)")
                record("kept", folder: file.folder, path: file.path, ["image": id])
                outcome.kept += 1
            }
            return nil
        }
    }

    /// `file` stands for the image of `other` (another folder's file of the same content): one
    /// upload, in both albums (it joins this folder's album when its order is set).
    func link(_ file: SyncPlan.Local, as other: SyncState.File, outcome: inout Outcome) throws {
        let image = other.imgurID.map { " (\($0))" } ?? (options.dryRun ? " (uploaded by this sync)" : "")
        let detail = "the same content as \(display(other.folder, other.path)): one upload\(image), in both albums"
        if options.dryRun {
            outcome.planned += 1
            events.heading("would add", display(file.folder, file.path), detail)
            return
        }
        var shared = synced(file, like: other)
        shared.placed = false
        try state?.save(shared)
        memory.arrived(other.imgurID, in: file.folder)
        events.heading("same content", display(file.folder, file.path), detail)
        record("same-content", folder: file.folder, path: file.path, ["image": other.imgurID, "as_folder": other.folder, "as_path": other.path])
        outcome.moved += 1
    }

    func synced(_ file: SyncPlan.Local, like other: SyncState.File) -> SyncState.File {
        SyncState.File(
            folder: file.folder, path: file.path, size: file.size, mtime: file.mtime, sha256: file.sha256, state: .synced,
            imgurID: other.imgurID, deletehash: other.deletehash, link: other.link)
    }

    func absent(_ file: SyncState.File) -> SyncState.File {
        var gone = file
        gone.state = .absent
        gone.imgurID = nil
        gone.deletehash = nil
        gone.link = nil
        return gone
    }

    // MARK: Uploads

    /// Uploads `pending` into the folder's album (a new one when it has none) as an upload job,
    /// recorded in the folder's state first; true when the job finished.
    func send(_ pending: [Pending], into folder: inout SyncState.Folder, outcome: inout Outcome) async throws -> Bool {
        let store = upload.store
        var id = UploadJob.newID()
        while store.folder.exists(JobStore.fileName(id)) { id = UploadJob.newID() }
        folder.job = id
        if folder.albumGone {
            // --push: a new album, named in the same record as the job that makes it.
            folder.album = nil
            folder.deletehash = nil
            folder.albumGone = false
        }
        try state?.save(folder)
        let now = upload.now()
        var job = UploadJob(id: id, createdAt: now)
        job.origin = .sync
        job.account = byAccount ? "me" : nil
        if let album = folder.album {
            job.album = .existing(folder.deletehash ?? album)
        } else {
            job.album = .new(title: (folder.path as NSString).lastPathComponent, id: nil, deletehash: nil, uncertain: false)
            job.privacy = options.privacy
        }
        let items = pending.sorted { NaturalOrder.less($0.path, $1.path) }.enumerated().map { offset, item in
            let source = UploadItem.Source.file(path: "\(folder.path)/\(item.path)")
            return UploadItem(index: offset + 1, source: source, name: JobStore.itemName(job: id, index: offset + 1, source), createdAt: now)
        }
        let file = try JobFile.create(job, items: items, in: store.folder, named: JobStore.fileName(id))
        defer { file.close() }
        return try await runJob(file, folder: &folder, outcome: &outcome)
    }

    /// Finishes the unfinished upload job of an earlier sync; true when it is finished.
    func finishJob(_ folder: inout SyncState.Folder, outcome: inout Outcome) async throws -> Bool {
        guard let id = folder.job else { return true }
        let file: JobFile
        do {
            file = try upload.store.open(id)
        } catch UploadError.noSuchJob {
            // Killed after the state named it and before its file was made: nothing was sent.
            folder.job = nil
            try state?.save(folder)
            return true
        }
        defer { file.close() }
        events.heading("resuming", display(folder.path), "the uploads of an earlier sync (job \(id))")
        return try await runJob(file, folder: &folder, outcome: &outcome)
    }

    private func runJob(_ file: JobFile, folder: inout SyncState.Folder, outcome: inout Outcome) async throws -> Bool {
        let result = try await upload.run(file)
        try absorb(file, into: &folder, outcome: &outcome)
        outcome.failed += result.failed
        outcome.deferred = outcome.deferred ?? result.deferred
        if let refused = result.refused { outcome.refused = outcome.refused ?? refused }
        if result.interrupted { outcome.interrupted = true }
        // An album that is still to be made (its creation refused, or not reached) keeps the job.
        var albumLeft = result.albumUncertain
        if case .new(_, nil, _, _)? = file.current.job.album, file.current.items.contains(where: { $0.state == .completed }) { albumLeft = true }
        let left = result.pending + result.uncertain + result.processing + (albumLeft ? 1 : 0)
        outcome.left += left
        let finished = left == 0 && !result.interrupted && result.refused == nil
        if finished {
            folder.job = nil
            try state?.save(folder)
        }
        return finished
    }

    /// What a job uploaded becomes the folder's files' state (again harmlessly after a crash).
    func absorb(_ file: JobFile, into folder: inout SyncState.Folder, outcome: inout Outcome) throws {
        let (job, items) = file.current
        if case .new(_, let id?, let deletehash, _)? = job.album, folder.album != id {
            folder.album = id
            folder.deletehash = deletehash
            folder.albumGone = false
            try state?.save(folder)
            record("album-created", folder: folder.path, ["album": id])
        }
        let prefix = folder.path + "/"
        for item in items where item.state == .completed {
            guard let id = item.imgurID, case .file(let path) = item.source, path.hasPrefix(prefix) else { continue }
            let relative = String(path.dropFirst(prefix.count))
            let existing = fileRecord(folder.path, relative)
            if existing?.state == .synced, existing?.imgurID == id { continue }
            if let previous = existing, previous.state == .synced, let old = previous.imgurID {
                try state?.save(
                    SyncState.Image(id: old, deletehash: previous.deletehash, folder: folder.path, path: relative, sha256: previous.sha256, state: .replaced))
            }
            // mtime unknown: the next scan hashes the file once more, so an edit made while it
            // was being sent (or before a resumed job) is found.
            let uploaded = SyncState.File(
                folder: folder.path, path: relative, size: item.bytes ?? -1, mtime: -1, sha256: item.sha256, state: .synced,
                imgurID: id, deletehash: item.deletehash, link: item.link)
            try state?.save(uploaded)
            if let sha = item.sha256 { memory.uploaded(sha, as: uploaded) }
            memory.arrived(id, in: folder.path)
            record("upload", folder: folder.path, path: relative, ["image": id, "link": item.link, "sha256": item.sha256])
            outcome.uploaded += 1
        }
    }
}
