import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// What archiving one album did.
struct AlbumReport: Sendable, Equatable {
    let entry: CatalogEntry
    /// Files fetched in this run (not already on disk) and their bytes.
    let fetchedFiles: Int
    let fetchedBytes: Int64
    /// Files that were on disk already (from an earlier, interrupted or partial run).
    var reusedFiles = 0
    /// Media whose size disagreed with the API's on every attempt, and where their bytes were kept.
    var mismatches: [String] = []
}

/// Archives one album or single image: one API call (two for a gallery post with `--comments`),
/// its media in parallel, then its documents.
struct AlbumArchiver: Sendable {
    let client: ImgurClient
    let downloader: MediaDownloader
    let layout: StorageLayout
    let animated: AnimatedFormat
    let scope: ArchiveScope
    /// Keep gallery posts' comments.
    let comments: Bool
    /// Media of one album in flight at once (their transfers share `--jobs` places).
    let mediaWindow: Int
    /// `--refresh`: ask (HEAD) whether each file kept on disk is still served, and record when
    /// Imgur now serves its placeholder instead.
    var probeKeptFiles = false
    /// Told the files and bytes each album brings, for the progress line.
    let events: any RunEvents
    let now: @Sendable () -> Date

    func archive(_ item: WorkItem) async throws -> AlbumReport {
        let (resolved, images, isGalleryPost) = try await resolve(item)
        let id = item.id
        let keepComments = comments && (isGalleryPost || resolved.raw["in_gallery"]?.boolValue == true)
        let commentList = keepComments ? try await fetchComments(id) : nil
        switch resolved {
        case .album(let album):
            return try await store(
                id: id, kind: .album, title: album.title, description: album.description, datetime: album.datetime,
                raw: album.raw, images: images, sourceURL: "https://imgur.com/a/\(id.rawValue)",
                comments: commentList, animated: item.animated ?? animated)
        case .image(let image):
            return try await store(
                id: id, kind: .image, title: image.title, description: image.description, datetime: image.datetime,
                raw: image.raw, images: ImageList([image.raw]), sourceURL: "https://imgur.com/\(id.rawValue)",
                comments: commentList, animated: item.animated ?? animated)
        }
    }

    /// The album or image a work item names, an album's image list (which replaces `raw`'s own
    /// `images`), and whether it is a gallery post. Album answers are read from a spool in the storage
    /// directory: an album of any size costs the same memory (docs/design.md, "One large album").
    private func resolve(_ item: WorkItem) async throws -> (GalleryItem, ImageList, Bool) {
        let spool = layout.directory
        func album() async throws -> (GalleryItem, ImageList, Bool) {
            let (album, images) = try await client.album(item.id, spoolingIn: spool)
            return (.album(album), images, false)
        }
        func image() async throws -> (GalleryItem, ImageList, Bool) {
            (.image(try await client.image(item.id)), ImageList(), false)
        }
        switch item.source {
        case .album:
            return try await album()
        case .image:
            return try await image()
        case .albumOrImage:
            do {
                return try await album()
            } catch ImgurAPIError.notFound {
                do {
                    return try await image()
                } catch ImgurAPIError.notFound(_, let message) {
                    throw ImgurAPIError.notFound(resource: "album or image \(item.id)", message: message)
                }
            }
        case .gallery:
            do {
                let (post, images) = try await client.galleryItem(item.id, spoolingIn: spool)
                return (post, images, true)
            } catch ImgurAPIError.notFound {
                // No longer in the gallery: the post may still exist as an album or an image.
                do {
                    return try await album()
                } catch ImgurAPIError.notFound {
                    do {
                        return try await image()
                    } catch ImgurAPIError.notFound(_, let message) {
                        throw ImgurAPIError.notFound(resource: "gallery post, album or image \(item.id)", message: message)
                    }
                }
            }
        case .recovered:
            // The scheduler commits these without archiving anything.
            throw ArchiveError.resumeMismatch(url: item.id.rawValue, reason: "a recovered folder is not fetched")
        case .listed(let listed):
            let inGallery = listed.raw["in_gallery"]?.boolValue == true
            guard case .album(let album) = listed else { return (listed, ImageList(), inGallery) }
            guard album.images.count < (album.imagesCount ?? Int64.max) else {
                // A listing's album with all its images.
                return (listed, ImageList(album.raw["images"]?.arrayValue ?? []), inGallery)
            }
            // Listings give albums without (all) their images.
            let (full, images) = try await client.album(item.id, spoolingIn: spool)
            return (.album(full), images, inGallery)
        }
    }

    /// A post's comments; nil when Imgur has none for it (404: not a gallery post).
    private func fetchComments(_ id: ImgurID) async throws -> JSONValue? {
        do {
            return try await client.comments(id)
        } catch ImgurAPIError.notFound {
            return nil
        }
    }

    /// Downloads the media of `images` into the folder of `id` (unless `--metadata-only`) and
    /// writes its documents (unless `--media-only`, which still brings documents that already exist
    /// up to date). `raw`'s own `images`, when it lists any, are replaced by `images`.
    private func store(
        id: ImgurID, kind: AlbumKind, title: String?, description: String?, datetime: Int64?, raw: JSONValue,
        images: ImageList, sourceURL: String, comments: JSONValue?, animated: AnimatedFormat
    ) async throws -> AlbumReport {
        let (folder, previous) = try await BlockingIO.run { [layout] () throws -> (Directory, AlbumMetadata?) in
            // Never through a symlink planted in place of the folder (docs/design.md, "Threat model").
            let folder = try layout.albumFolder(id, create: true)
            // Under the run lock, what a killed run left behind is only litter.
            folder.removeLeftovers()
            AlbumFolder.removeOrphanResumeHints(in: folder)
            let reading = AlbumFolder.read(id, in: folder)
            // Documents of a newer version are never overwritten as if they were ours.
            for case .newerSchema(let name, let version) in reading.problems {
                throw FormatError.newerSchema(path: folder.path(name), version: version)
            }
            return (folder, reading.metadata)
        }
        let seenAt = now()
        let fetched = try await fetch(
            images, of: id, into: folder, animated: animated, previous: previous, download: scope != .metadataOnly, at: seenAt)
        var metadata = AlbumMetadata(
            kind: kind, id: id, title: title, description: description, published: datetime,
            status: fetched.spool?.status ?? AlbumMetadata.status(of: fetched.records), archivedAt: now(),
            sourceURL: sourceURL, media: fetched.records, api: raw, commentCount: comments.map { $0.arrayValue?.count ?? 0 })
        metadata.spooledMedia = fetched.spool
        if case .object(var members) = raw, members["images"]?.arrayValue != nil {
            if let items = images.itemsInMemory {
                members["images"] = .array(items)
                metadata.api = .object(members)
            } else {
                members["images"] = nil
                metadata.api = .object(members)
                metadata.apiImages = images
            }
        }
        metadata.refused = fetched.refused
        // A refresh: what Imgur changed goes to the history first (a crash then can only record a
        // change twice, never lose an old text), and what it no longer lists stays in the album.
        let listed = metadata
        let writes = scope != .mediaOnly || previous != nil
        metadata = try await BlockingIO.run { [listed, placeholders = fetched.placeholders] in
            var merged = try AlbumFolder.keepingRemoved(previous, in: listed, at: seenAt)
            merged.status = merged.spooledMedia?.status ?? AlbumMetadata.status(of: merged.media)
            guard writes else { return merged }
            if let previous {
                try AlbumFolder.recordChanges(from: previous, to: listed, at: seenAt, then: placeholders, in: folder)
            }
            try AlbumFolder.write(merged, comments: comments, in: folder)
            return merged
        }
        var entry = CatalogEntry(metadata)
        if !writes { entry.status = .mediaOnly }
        var report = AlbumReport(entry: entry, fetchedFiles: fetched.files, fetchedBytes: fetched.bytes)
        report.reusedFiles = fetched.reused
        report.mismatches = fetched.mismatches
        return report
    }

    private struct Fetched {
        /// One per usable image, in album order: in memory, or on disk for a long list.
        var records: [MediaRecord] = []
        var spool: MediaRecordSpool?
        /// Media whose size disagreed with the API's on every attempt, and where their bytes were kept.
        var mismatches: [String] = []
        var refused: [RefusedItem] = []
        /// `--refresh`: kept files whose links now serve Imgur's placeholder, in album order.
        var placeholders: [AlbumChange] = []
        var files = 0
        var bytes: Int64 = 0
        var reused = 0
    }

    /// One position's media as its window place ended it.
    private struct Ended: Sendable {
        let position: Int
        let fileName: String
        let outcome: Result<MediaOutcome, any Error>
        /// Fetched now (not found on disk).
        let downloaded: Bool
        /// Found on disk, and its link now serves Imgur's placeholder (`--refresh`).
        let placeholder: Bool
    }

    /// Each usable image's record, in album order. The list is read one item at a time and at
    /// most `mediaWindow` media are in flight, no more than `reorderLimit` positions ahead of the
    /// first unfinished one: tasks, threads and memory are bounded by --jobs, not by the album's
    /// size (docs/design.md, "One large album"). A media listed twice is fetched once: its second
    /// position waits while the first is in flight, then finds the file on disk. A failed media
    /// does not stop the others (they are kept, complete or resumable, for the next run); a write
    /// error does, since the disk is what failed.
    private func fetch(
        _ images: ImageList, of id: ImgurID, into folder: Directory, animated: AnimatedFormat, previous: AlbumMetadata?,
        download: Bool, at seenAt: Date
    ) async throws -> Fetched {
        let (layout, events, downloader) = (self.layout, self.events, self.downloader)
        // Built once per album: once per file made a refresh of 25,000 media take 19 CPU-minutes.
        let (recorded, previousMedia) = (previous?.storedFileIndex ?? [:], previous?.media ?? [])
        let probe = probeKeptFiles && previous != nil
        var announced = probe
            ? Set(AlbumFolder.history(of: id, in: folder).filter { $0.kind == .mediaPlaceholderServed }.compactMap(\.media)) : []
        @Sendable func end(_ position: Int, _ job: MediaJob) async throws -> Ended {
            func ended(_ outcome: Result<MediaOutcome, any Error>, downloaded: Bool = false, placeholder: Bool = false) -> Ended {
                Ended(position: position, fileName: job.fileName, outcome: outcome, downloaded: downloaded, placeholder: placeholder)
            }
            if let existing = try await BlockingIO.run({ try existingFile(job, recorded: recorded[job.fileName].map { previousMedia[$0] }) }) {
                if download { events.expectFiles(-1, bytes: -(job.apiSize ?? 0)) }
                return ended(.success(existing), placeholder: probe ? await downloader.servesPlaceholder(job) : false)
            }
            guard download else {
                let skipped = UnavailableMedia(
                    status: .notDownloaded, httpStatus: nil, url: job.source.url.absoluteString, seenAt: now())
                return ended(.success(.unavailable(skipped)))
            }
            do {
                let outcome = try await downloader.download(job) {
                    (try layout.quarantine(job.album), "\(StorageLayout.quarantineName)/\(job.album)")
                }
                return ended(.success(outcome), downloaded: true)
            } catch let error as FileError {
                // The disk failed: nothing else can succeed either.
                if case .write = error { throw error }
                return ended(.failure(error), downloaded: true)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return ended(.failure(error), downloaded: true)
            }
        }
        var fetched = Fetched()
        // A list long enough to be on disk has its records there too (docs/design.md, "One large album").
        if images.isSpooled { fetched.spool = try MediaRecordSpool(in: folder) }
        var failures: [any Error] = []
        var items = try images.makeIterator()
        var listIndex = 0
        /// Admitted positions not yet recorded: their image, and their outcome once ended (nil: failed).
        var admitted: [Int: Image] = [:]
        var ended: [Int: (outcome: MediaOutcome?, placeholder: Bool)] = [:]
        var inFlight: Set<String> = []
        var (nextPosition, nextRecord) = (1, 1)
        var held: (Image, MediaJob)?
        let reorderLimit = max(64, mediaWindow * 16)

        /// The records that can be written now, in album order.
        func record() throws {
            while let (outcome, placeholder) = ended.removeValue(forKey: nextRecord),
                let image = admitted.removeValue(forKey: nextRecord)
            {
                if let outcome {
                    let record = MediaRecord(position: nextRecord, image: image, outcome: outcome)
                    if record.status == .sizeMismatch {
                        fetched.mismatches.append(
                            "\(record.id): \(record.bytes.map(String.init) ?? "?") bytes came, the API says \(record.apiSize.map(String.init) ?? "?")"
                                + (record.keptAside.map { "; kept as \($0)" } ?? ""))
                    }
                    if fetched.spool != nil { try fetched.spool?.append(record) } else { fetched.records.append(record) }
                }
                if placeholder, case .stored(let stored) = outcome, announced.insert(image.id).inserted {
                    events.note("\(id)/\(stored.fileName): Imgur now serves its placeholder; the archived file is kept")
                    fetched.placeholders.append(AlbumChange(
                        .mediaPlaceholderServed, at: seenAt, media: image.id, from: .string(stored.fileName), to: "removed.png"))
                }
                nextRecord += 1
            }
        }
        /// The next usable image of the list and its job (nil: no link); items without a valid id
        /// are left out, with why.
        func nextImage() throws -> (Image, MediaJob?)? {
            while let item = try items.next() {
                listIndex += 1
                let image: Image
                do {
                    image = try Image(json: item)
                } catch {
                    fetched.refused.append(RefusedItem(index: listIndex, reason: "\(error)"))
                    continue
                }
                guard let source = image.mediaSource(animated: animated) else { return (image, nil) }
                let name = MediaFileName.make(image.id, fileExtension: source.fileExtension)
                let apiSize = source.isMP4Alternative ? image.mp4Size : image.size
                return (image, MediaJob(
                    album: id, folder: folder, source: source, fileName: name, apiSize: apiSize,
                    limit: downloader.settings.limit(forAPISize: apiSize)))
            }
            return nil
        }
        try await withThrowingTaskGroup(of: Ended.self) { group in
            var running = 0
            var exhausted = false
            while true {
                while running < mediaWindow, nextPosition - nextRecord < reorderLimit, !exhausted {
                    let image: Image
                    let job: MediaJob
                    if let waiting = held {
                        (image, job) = waiting
                    } else {
                        guard let next = try nextImage() else {
                            exhausted = true
                            break
                        }
                        guard let nextJob = next.1 else {
                            let noLink = UnavailableMedia(status: .noLink, httpStatus: nil, url: nil, seenAt: seenAt)
                            (admitted[nextPosition], ended[nextPosition]) = (next.0, (.unavailable(noLink), false))
                            nextPosition += 1
                            try record()
                            continue
                        }
                        (image, job) = (next.0, nextJob)
                    }
                    // The same file at two positions: the second waits for the first.
                    guard !inFlight.contains(job.fileName) else {
                        held = (image, job)
                        break
                    }
                    held = nil
                    inFlight.insert(job.fileName)
                    admitted[nextPosition] = image
                    if download { events.expectFiles(1, bytes: job.apiSize ?? 0) }
                    let position = nextPosition
                    group.addTask { try await end(position, job) }
                    nextPosition += 1
                    running += 1
                }
                guard running > 0, let result = try await group.next() else { break }
                running -= 1
                inFlight.remove(result.fileName)
                switch result.outcome {
                case .success(let outcome):
                    ended[result.position] = (outcome, result.placeholder)
                    if case .stored(let stored) = outcome {
                        if result.downloaded {
                            fetched.files += 1
                            fetched.bytes += stored.bytes
                        } else {
                            fetched.reused += 1
                        }
                    }
                case .failure(let error):
                    ended[result.position] = (nil, false)
                    failures.append(error)
                }
                try record()
            }
        }
        if let first = failures.first(where: { !(($0 as? any RetryableError)?.isTransient ?? false) })
            ?? failures.first
        {
            throw first
        }
        return fetched
    }

    /// A file already under its final name was complete and verified when it got there: reuse it,
    /// with the digest the previous metadata `recorded` for it when the size still matches, else hashed again.
    private func existingFile(_ job: MediaJob, recorded: MediaRecord?) throws -> MediaOutcome? {
        guard let size = job.folder.fileSize(job.fileName) else { return nil }
        if let recorded, recorded.bytes == size, let sha256 = recorded.sha256 {
            return .stored(
                StoredMedia(
                    fileName: job.fileName, bytes: size, sha256: sha256, detectedType: recorded.detectedType,
                    url: recorded.url ?? job.source.url.absoluteString))
        }
        let hash = try SHA256.hashFile(job.fileName, in: job.folder)
        return .stored(
            StoredMedia(
                fileName: job.fileName, bytes: hash.bytes, sha256: hash.hasher.hexDigest(),
                detectedType: MediaType.detected(hash.firstBytes)?.mime, url: job.source.url.absoluteString))
    }
}
