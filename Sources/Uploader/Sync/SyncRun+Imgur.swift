import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// What the albums say: changes made on Imgur since the last sync, deletions, and the order.
extension SyncRun {
    /// Reads the folder's album (one listing request) and reports what Imgur lost since the last
    /// sync; with --push, what is lost is uploaded again (a whole new album if it was deleted).
    func checkRemote(_ folder: inout SyncState.Folder, outcome: inout Outcome) async throws -> [Pending] {
        guard let album = folder.album, let albumID = ImgurID(album) else { return [] }
        let present = files(in: folder.path).filter { $0.state == .synced }
        let listing: Album
        do {
            listing = try await client.album(albumID)
        } catch let error as ImgurAPIError where Self.isNotFound(error) {
            if !folder.albumGone, !options.dryRun {
                folder.albumGone = true
                try state?.save(folder)
                record("album-gone", folder: folder.path, ["album": album])
            }
            outcome.disagreements += 1
            guard options.push else {
                events.result(
                    .unavailable, album,
                    "\(display(folder.path)): the album was deleted on Imgur; the files here are kept (sync --push makes a new album of them)")
                return []
            }
            events.result(.unavailable, album, "\(display(folder.path)): the album was deleted on Imgur; --push: a new album, every file uploaded again")
            // The new album is named when its upload job is (SyncRun.send): a kill before that
            // leaves the folder as it was, its album gone.
            folder.albumGone = true
            return present.map { Pending(folder: folder.path, path: $0.path, reason: "pushed: its album was deleted on Imgur") }
        } catch {
            events.warning("\(display(folder.path)): cannot read the album \(album) (\(error)); its order is left as it is")
            memory.skipOrder(folder.path)
            return []
        }
        let ids = listing.images.map(\.id.rawValue)
        memory.listed(ids, for: folder.path)
        let onImgur = Set(ids)
        var pushed: [Pending] = []
        for var file in present.sorted(by: { NaturalOrder.less($0.path, $1.path) }) {
            guard let id = file.imgurID, !memory.hasArrived(id, in: folder.path) else { continue }
            if onImgur.contains(id) {
                if !file.placed, !options.dryRun {
                    file.placed = true
                    try state?.save(file)
                }
                continue
            }
            // Moved or shared here, and the album's update has not gone through yet: work to do.
            guard file.placed else { continue }
            outcome.disagreements += 1
            if options.push {
                events.result(.unavailable, id, "\(display(folder.path, file.path)): gone from the album on Imgur; --push: uploaded again")
                pushed.append(Pending(folder: folder.path, path: file.path, reason: "pushed: Imgur lost \(id)"))
            } else {
                events.result(
                    .unavailable, id, "\(display(folder.path, file.path)): gone from the album on Imgur since the last sync; the file is kept (sync --push uploads it again)")
            }
            record("lost-on-imgur", folder: folder.path, path: file.path, ["image": id])
        }
        for image in images(in: folder.path) where image.state == .kept && !onImgur.contains(image.id) {
            // Kept there for a file deleted here, and now gone there too: nothing is left to keep.
            var gone = image
            gone.state = .deleted
            try state?.save(gone)
        }
        return pushed
    }

    static func isNotFound(_ error: ImgurAPIError) -> Bool {
        if case .notFound = error { return true }
        return false
    }

    /// `--delete`: images kept for deleted files and older versions of edited ones, deleted on
    /// Imgur (by deletehash; by id with a login), unless a file here still stands for them.
    func sweepDeletions(_ folders: Set<String>, outcome: inout Outcome) async throws {
        let synced = allFiles.filter { $0.state == .synced }
        let used = Set(synced.compactMap(\.imgurID))
        let usedIn = Set(synced.compactMap { file in file.imgurID.map { "\(file.folder)\u{0}\($0)" } })
        // Kept for a file deleted here while another folder's file stands for the same image (one
        // upload in two albums): it leaves this folder's album, and stays on Imgur for that file.
        for var image in allImages where folders.contains(image.folder) && image.state == .kept && used.contains(image.id)
            && !usedIn.contains("\(image.folder)\u{0}\(image.id)")
        {
            let detail = "deleted here: \(image.id) leaves this album; a file of another folder stands for it, so it stays on Imgur"
            if options.dryRun {
                outcome.planned += 1
                events.heading("would remove", display(image.folder, image.path), detail)
                continue
            }
            image.state = .replaced
            try state?.save(image)
            memory.touch(image.folder)
            events.heading("removed", display(image.folder, image.path), detail)
            record("remove", folder: image.folder, path: image.path, ["image": image.id])
        }
        let doomed = allImages.filter { folders.contains($0.folder) && ($0.state == .kept || $0.state == .replaced) && !used.contains($0.id) }
        for var image in doomed.sorted(by: { NaturalOrder.less($0.path, $1.path) }) {
            if options.dryRun {
                outcome.planned += 1
                events.heading("would delete", image.id, "\(display(image.folder, image.path)) on Imgur")
                continue
            }
            guard let handle = byAccount ? image.id : image.deletehash else {
                events.warning("\(image.id) (\(display(image.folder, image.path))): no deletehash, and no login that owns it: it stays on Imgur")
                continue
            }
            if let exhausted = upload.budget.exhausted(inFlight: 0) {
                outcome.deferred = outcome.deferred ?? exhausted
                return
            }
            do {
                try await client.deleteImage(handle, identity: identity)
            } catch let error as ImgurAPIError where Self.isNotFound(error) {
                // Gone already: what was asked for is so.
            } catch {
                events.result(.failed, image.id, "\(display(image.folder, image.path)): not deleted on Imgur (\(error)); the next sync tries again")
                outcome.failed += 1
                continue
            }
            image.state = .deleted
            try state?.save(image)
            memory.touch(image.folder)
            events.result(.deleted, image.id, "\(display(image.folder, image.path)) deleted on Imgur (--delete)")
            record("delete", folder: image.folder, path: image.path, ["image": image.id])
            outcome.deleted += 1
        }
    }

    /// Sets the album's order to the folder's name order (images kept for deleted files hold their
    /// old place; images added on Imgur stay, at the end) in one update, then reads it back.
    func setOrder(_ folder: SyncState.Folder, outcome: inout Outcome) async throws {
        guard let album = folder.album, let albumID = ImgurID(album), !memory.isOrderSkipped(folder.path) else { return }
        var entries: [(path: String, id: String, deletehash: String?)] = []
        for file in files(in: folder.path) where file.state == .synced {
            if let id = file.imgurID { entries.append((file.path, id, file.deletehash)) }
        }
        for image in images(in: folder.path) where image.state == .kept {
            entries.append((image.path, image.id, image.deletehash))
        }
        entries.sort { NaturalOrder.less($0.path, $1.path) }
        var seen: Set<String> = []
        var wanted = entries.filter { seen.insert($0.id).inserted }
        var listed = memory.listing(for: folder.path)
        if listed == nil || memory.changed(folder.path) {
            listed = try? await client.album(albumID).images.map(\.id.rawValue)
        }
        guard let listed else { return }
        // Images this sync put anywhere leave an album they are not wanted in; any other is one
        // added on Imgur, and stays.
        // Every id this sync knows, gathered only when the album lists one this folder does not
        // want (not for every folder: that was quadratic in the number of folders).
        let unwanted = listed.filter { !seen.contains($0) }
        let known = unwanted.isEmpty ? [] : Set(allFiles.compactMap(\.imgurID) + allImages.map(\.id))
        let extras = unwanted.filter { !known.contains($0) }
        wanted += extras.map { ("", $0, nil) }
        let target = wanted.map(\.id)
        guard target != listed else { return }
        if !memory.isTouched(folder.path), Set(target) == Set(listed) {
            events.heading("reordered", album, "\(display(folder.path)): the order was changed on Imgur since the last sync; the folder's name order is set again")
        }
        if options.dryRun {
            outcome.planned += 1
            events.heading("would order", album, "\(display(folder.path)): \(target.count) images in name order")
            return
        }
        if !byAccount, wanted.contains(where: { $0.deletehash == nil }) {
            outcome.disagreements += 1
            events.warning(
                "\(album) (\(display(folder.path))): its order cannot be set anonymously without dropping \(extras.count) image(s) added on Imgur; left as it is")
            return
        }
        if let exhausted = upload.budget.exhausted(inFlight: 0) {
            outcome.deferred = outcome.deferred ?? exhausted
            return
        }
        let after: [String]
        do {
            try await client.setAlbumImages(
                folder.deletehash ?? album, title: nil, description: nil, deletehashes: byAccount ? [] : wanted.compactMap(\.deletehash),
                ids: byAccount ? target : [], identity: identity)
            after = try await client.album(albumID).images.map(\.id.rawValue)
        } catch {
            // Idempotent: the next sync sends it again.
            events.warning("\(album) (\(display(folder.path))): its order was not set (\(error)); the next sync tries again")
            outcome.left += 1
            return
        }
        let shown = Set(after)
        for var file in files(in: folder.path) where file.state == .synced && !file.placed {
            guard let id = file.imgurID, shown.contains(id) else { continue }
            file.placed = true
            try state?.save(file)
        }
        if after == target {
            outcome.reordered += 1
            events.heading("album", album, "\(display(folder.path)): \(target.count) images, in the folder's name order")
            record("order", folder: folder.path, ["album": album])
        } else {
            outcome.disagreements += 1
            events.result(
                .damaged, album,
                "\(display(folder.path)): Imgur did not apply the order (its set-images call is known to be unreliable); the next sync tries again")
            record("order-not-applied", folder: folder.path, ["album": album])
        }
    }
}

/// What one sync run learnt as it went (shared by its steps).
final class SyncMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var listings: [String: [String]] = [:]
    private var arrivals: [String: Set<String>] = [:]
    private var skipped: Set<String> = []
    private var withAlbum: Set<String> = []
    private var touched: Set<String> = []
    private var shared: Set<String> = []
    private var uploads: [String: SyncState.File] = [:]

    func listed(_ ids: [String], for folder: String) { locked { listings[folder] = ids } }
    func listing(for folder: String) -> [String]? { locked { listings[folder] } }
    func arrived(_ id: String?, in folder: String) {
        guard let id else { return }
        locked {
            _ = arrivals[folder, default: []].insert(id)
            _ = touched.insert(folder)
        }
    }
    func hasArrived(_ id: String, in folder: String) -> Bool { locked { arrivals[folder]?.contains(id) ?? false } }
    /// Whether images arrived in the folder's album this run (its listing is then out of date).
    func changed(_ folder: String) -> Bool { locked { !(arrivals[folder]?.isEmpty ?? true) } }
    /// A local change this run that moves images in or out of the folder's album, or renames one.
    func touch(_ folder: String) { locked { _ = touched.insert(folder) } }
    func isTouched(_ folder: String) -> Bool { locked { touched.contains(folder) } }
    /// Images two synced files of one folder stand for, as `folder\0id`.
    func markShared(_ keys: some Sequence<String>) { locked { shared.formUnion(keys) } }
    func isShared(_ id: String, in folder: String) -> Bool { locked { shared.contains("\(folder)\u{0}\(id)") } }
    /// Content this run uploaded (or, in a dry run, would upload), by SHA-256: its first file.
    func uploaded(_ sha256: String, as file: SyncState.File) { locked { if uploads[sha256] == nil { uploads[sha256] = file } } }
    func upload(of sha256: String, outside folder: String) -> SyncState.File? {
        locked { uploads[sha256].flatMap { $0.folder == folder ? nil : $0 } }
    }
    func markHasAlbum(_ folder: String) { locked { _ = withAlbum.insert(folder) } }
    func hasAlbum(_ folder: String) -> Bool { locked { withAlbum.contains(folder) } }
    func skipOrder(_ folder: String) { locked { _ = skipped.insert(folder) } }
    func isOrderSkipped(_ folder: String) -> Bool { locked { skipped.contains(folder) } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
