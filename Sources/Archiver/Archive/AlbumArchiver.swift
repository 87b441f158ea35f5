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
        let (resolved, isGalleryPost) = try await resolve(item)
        let id = item.id
        let keepComments = comments && (isGalleryPost || resolved.raw["in_gallery"]?.boolValue == true)
        let commentList = keepComments ? try await fetchComments(id) : nil
        switch resolved {
        case .album(let album):
            return try await store(
                id: id, kind: .album, title: album.title, description: album.description, datetime: album.datetime,
                raw: album.raw, images: album.images, sourceURL: "https://imgur.com/a/\(id.rawValue)",
                comments: commentList, animated: item.animated ?? animated, refused: album.refused)
        case .image(let image):
            return try await store(
                id: id, kind: .image, title: image.title, description: image.description, datetime: image.datetime,
                raw: image.raw, images: [image], sourceURL: "https://imgur.com/\(id.rawValue)", comments: commentList,
                animated: item.animated ?? animated)
        }
    }

    /// The album or image a work item names, and whether it is a gallery post.
    private func resolve(_ item: WorkItem) async throws -> (GalleryItem, Bool) {
        switch item.source {
        case .album:
            return (.album(try await client.album(item.id)), false)
        case .image:
            return (.image(try await client.image(item.id)), false)
        case .albumOrImage:
            do {
                return (.album(try await client.album(item.id)), false)
            } catch ImgurAPIError.notFound {
                do {
                    return (.image(try await client.image(item.id)), false)
                } catch ImgurAPIError.notFound(_, let message) {
                    throw ImgurAPIError.notFound(resource: "album or image \(item.id)", message: message)
                }
            }
        case .gallery:
            do {
                return (try await client.galleryItem(item.id), true)
            } catch ImgurAPIError.notFound {
                // No longer in the gallery: the post may still exist as an album or an image.
                do {
                    return (.album(try await client.album(item.id)), false)
                } catch ImgurAPIError.notFound {
                    do {
                        return (.image(try await client.image(item.id)), false)
                    } catch ImgurAPIError.notFound(_, let message) {
                        throw ImgurAPIError.notFound(resource: "gallery post, album or image \(item.id)", message: message)
                    }
                }
            }
        case .recovered:
            // The scheduler commits these without archiving anything.
            throw ArchiveError.resumeMismatch(url: item.id.rawValue, reason: "a recovered folder is not fetched")
        case .listed(let listed):
            guard case .album(let album) = listed, album.images.count < (album.imagesCount ?? Int64.max) else {
                return (listed, listed.raw["in_gallery"]?.boolValue == true)
            }
            // Listings give albums without (all) their images.
            return (.album(try await client.album(item.id)), album.raw["in_gallery"]?.boolValue == true)
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

    /// Downloads `images` into the folder of `id` (unless `--metadata-only`) and writes its
    /// documents (unless `--media-only`, which still brings documents that already exist up to date).
    func store(
        id: ImgurID, kind: AlbumKind, title: String?, description: String?, datetime: Int64?, raw: JSONValue,
        images: [Image], sourceURL: String, comments: JSONValue? = nil, animated: AnimatedFormat,
        refused: [RefusedItem] = []
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
        var jobs: [String: MediaJob] = [:]
        var order: [String] = []
        let files = images.map { image -> String? in
            guard let source = image.mediaSource(animated: animated) else { return nil }
            let name = MediaFileName.make(image.id, fileExtension: source.fileExtension)
            if jobs[name] == nil {
                let apiSize = source.isMP4Alternative ? image.mp4Size : image.size
                jobs[name] = MediaJob(
                    album: id, folder: folder, source: source, fileName: name, apiSize: apiSize,
                    limit: downloader.settings.limit(forAPISize: apiSize))
                order.append(name)
            }
            return name
        }
        let fetched = try await fetch(order.compactMap { jobs[$0] }, previous: previous, download: scope != .metadataOnly)
        let seenAt = now()
        let media = zip(images, files).enumerated().map { index, pair in
            let (image, file) = pair
            return MediaRecord(
                position: index + 1, image: image,
                outcome: file.flatMap { fetched.outcomes[$0] }
                    ?? .unavailable(UnavailableMedia(status: .noLink, httpStatus: nil, url: nil, seenAt: seenAt)))
        }
        var metadata = AlbumMetadata(
            kind: kind, id: id, title: title, description: description, published: datetime,
            status: AlbumMetadata.status(of: media), archivedAt: now(), sourceURL: sourceURL, media: media, api: raw,
            commentCount: comments.map { $0.arrayValue?.count ?? 0 })
        metadata.refused = refused
        // A refresh: what Imgur changed goes to the history first (a crash then can only record a
        // change twice, never lose an old text), and what it no longer lists stays in the album.
        var changes = previous.map { AlbumChange.between($0, metadata, at: seenAt) } ?? []
        if probeKeptFiles, previous != nil {
            // In album order: the files were found on disk in whatever order their checks ended.
            let reused = Set(fetched.reusedNames)
            changes += try await placeholdersServed(order.filter(reused.contains).compactMap { jobs[$0] }, id: id, folder: folder, at: seenAt)
        }
        metadata = AlbumFolder.keepingRemoved(previous, in: metadata, at: seenAt)
        metadata.status = AlbumMetadata.status(of: metadata.media)
        var entry = CatalogEntry(metadata)
        if scope != .mediaOnly || previous != nil {
            try await BlockingIO.run { [metadata, changes] in
                try AlbumFolder.record(changes, of: id, in: folder)
                try AlbumFolder.write(metadata, comments: comments, in: folder)
            }
        } else {
            entry.status = .mediaOnly
        }
        var report = AlbumReport(entry: entry, fetchedFiles: fetched.files, fetchedBytes: fetched.bytes)
        report.reusedFiles = fetched.reused
        report.mismatches = media.filter { $0.status == .sizeMismatch }.map { record in
            "\(record.id): \(record.bytes.map(String.init) ?? "?") bytes came, the API says \(record.apiSize.map(String.init) ?? "?")"
                + (record.keptAside.map { "; kept as \($0)" } ?? "")
        }
        return report
    }

    private struct Fetched {
        var outcomes: [String: MediaOutcome] = [:]
        var files = 0
        var bytes: Int64 = 0
        var reused = 0
        var reusedNames: [String] = []
    }

    /// Files kept on disk whose links now serve Imgur's placeholder: one change each, once, in
    /// album order. One HEAD per file, `mediaWindow` at a time (they share `--jobs` places).
    private func placeholdersServed(_ kept: [MediaJob], id: ImgurID, folder: Directory, at date: Date) async throws -> [AlbumChange] {
        let recorded = Set(
            AlbumFolder.history(of: id, in: folder).filter { $0.kind == .mediaPlaceholderServed }.compactMap(\.media))
        let asked: [(job: MediaJob, media: ImgurID)] = kept.compactMap { job in
            guard let media = ImgurID(String(job.fileName.prefix { $0 != "." })), !recorded.contains(media) else { return nil }
            return (job, media)
        }
        var served: [Int] = []
        let downloader = self.downloader
        let probe: @Sendable (Int) async -> (Int, Bool) = { index in (index, await downloader.servesPlaceholder(asked[index].job)) }
        try await Self.windowed(asked.count, width: mediaWindow, probe) { index, placeholder in
            if placeholder { served.append(index) }
        }
        return served.sorted().map { index in
            let (job, media) = asked[index]
            events.note("\(id)/\(job.fileName): Imgur now serves its placeholder; the archived file is kept")
            return AlbumChange(.mediaPlaceholderServed, at: date, media: media, from: .string(job.fileName), to: "removed.png")
        }
    }

    /// Every job's outcome. A failed media file does not stop the others (they are kept, complete or
    /// resumable, for the next run); a write error does, since the disk is what failed.
    private func fetch(_ jobs: [MediaJob], previous: AlbumMetadata?, download: Bool) async throws -> Fetched {
        let (layout, events) = (self.layout, self.events)
        // Built once per album: once per file made a refresh of 25,000 media take 19 CPU-minutes.
        let recorded = previous?.storedFiles ?? [:]
        if download { events.expectFiles(jobs.count, bytes: jobs.reduce(0) { $0 + ($1.apiSize ?? 0) }) }
        /// One media's outcome: what is on disk already, or a download.
        @Sendable func outcome(_ job: MediaJob) async throws -> (String, Result<MediaOutcome, any Error>, Bool) {
            if let existing = try await BlockingIO.run({ try existingFile(job, recorded: recorded[job.fileName]) }) {
                if download { events.expectFiles(-1, bytes: -(job.apiSize ?? 0)) }
                return (job.fileName, .success(existing), false)
            }
            guard download else {
                let skipped = UnavailableMedia(
                    status: .notDownloaded, httpStatus: nil, url: job.source.url.absoluteString, seenAt: now())
                return (job.fileName, .success(.unavailable(skipped)), false)
            }
            do {
                let outcome = try await downloader.download(job) {
                    (try layout.quarantine(job.album), "\(StorageLayout.quarantineName)/\(job.album)")
                }
                return (job.fileName, .success(outcome), true)
            } catch let error as FileError {
                // The disk failed: nothing else can succeed either.
                if case .write = error { throw error }
                return (job.fileName, .failure(error), true)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return (job.fileName, .failure(error), true)
            }
        }
        var fetched = Fetched()
        var failures: [any Error] = []
        func take(_ result: (String, Result<MediaOutcome, any Error>, Bool)) {
            let (name, outcome, downloaded) = result
            switch outcome {
            case .success(let value):
                fetched.outcomes[name] = value
                if case .stored(let stored) = value {
                    if downloaded {
                        fetched.files += 1
                        fetched.bytes += stored.bytes
                    } else {
                        fetched.reused += 1
                        fetched.reusedNames.append(name)
                    }
                }
            case .failure(let error):
                failures.append(error)
            }
        }
        try await Self.windowed(jobs.count, width: mediaWindow, { index in try await outcome(jobs[index]) }, take: take)
        if let first = failures.first(where: { !(($0 as? any RetryableError)?.isTransient ?? false) })
            ?? failures.first
        {
            throw first
        }
        return fetched
    }

    /// Runs `work` for each of `0..<count`, at most `width` at once, and hands each result to
    /// `take` as it ends. Tasks, threads and memory are bounded by --jobs, not by the album's size
    /// (300,000 media in one album): a task starts only when one of the window's places is free.
    private static func windowed<T: Sendable>(
        _ count: Int, width: Int, _ work: @escaping @Sendable (Int) async throws -> T, take: (T) throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: T.self) { group in
            var next = 0
            var running = 0
            while next < count || running > 0 {
                while next < count && running < width {
                    let index = next
                    group.addTask { try await work(index) }
                    next += 1
                    running += 1
                }
                guard let result = try await group.next() else { break }
                running -= 1
                try take(result)
            }
        }
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
