import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// The media of one album: each usable image's record, in album order, through an in-order window
/// (docs/design.md, "One large album").
extension AlbumArchiver {
    struct Fetched {
        /// One per usable image, in album order: in memory, or on disk for a long list.
        var records: [MediaRecord] = []
        var spool: MediaRecordSpool?
        var refused: [RefusedItem] = []
        /// Media whose size disagreed with the API's on every attempt, and where their bytes were kept.
        var mismatches: [String] = []
        /// `--refresh`: kept files whose links now serve Imgur's placeholder, in album order.
        var placeholders: [AlbumChange] = []
        var files = 0
        var bytes: Int64 = 0
        var reused = 0
    }

    /// One media file as its window place ended it.
    private struct Ended: Sendable {
        let position: Int
        let fileName: String
        let outcome: Result<MediaOutcome, any Error>
        /// Fetched now (not found on disk).
        let downloaded: Bool
        /// Found on disk, and its link now serves Imgur's placeholder (`--refresh`).
        let placeholder: Bool
    }

    /// Each usable image's record, in album order. The list is read one item at a time; at most
    /// `mediaWindow` files are in flight, and no position more than `reorderLimit` ahead of the
    /// first one not recorded yet: tasks, threads and memory are bounded by --jobs, not by the
    /// album's size. A media listed twice is fetched once and every position gets its outcome:
    /// a later position waits (parked, the window going on) while the first is in flight, and
    /// takes the outcome from a table of the files that ended (for a list on disk, of the last
    /// 4,096; an older one is found on disk, or fetched again). A failed media does not stop the
    /// others (they are kept, complete or resumable, for the next run); a write error does, since
    /// the disk is what failed.
    func fetch(
        _ images: ImageList, of id: ImgurID, into folder: Directory, animated: AnimatedFormat, previous: AlbumMetadata?,
        download: Bool, at seenAt: Date
    ) async throws -> Fetched {
        let (layout, events, downloader, now) = (self.layout, self.events, self.downloader, self.now)
        // Built once per album: once per file made a refresh of 25,000 media take 19 CPU-minutes.
        let (recorded, previousMedia) = (previous?.storedFileIndex ?? [:], previous?.media ?? [])
        let probe = probeKeptFiles && previous != nil
        // Media already recorded as serving the placeholder are not asked again.
        let servedBefore = probe
            ? Set(AlbumFolder.history(of: id, in: folder).filter { $0.kind == .mediaPlaceholderServed }.compactMap(\.media)) : []
        @Sendable func end(_ position: Int, _ job: MediaJob) async throws -> Ended {
            func ended(_ outcome: Result<MediaOutcome, any Error>, downloaded: Bool = false, placeholder: Bool = false) -> Ended {
                Ended(position: position, fileName: job.fileName, outcome: outcome, downloaded: downloaded, placeholder: placeholder)
            }
            if let existing = try await BlockingIO.run({ try existingFile(job, recorded: recorded[job.fileName].map { previousMedia[$0] }) }) {
                if download { events.expectFiles(-1, bytes: -(job.apiSize ?? 0)) }
                let media = ImgurID(String(job.fileName.prefix { $0 != "." }))
                let ask = probe && !(media.map(servedBefore.contains) ?? true)
                return ended(.success(existing), placeholder: ask ? await downloader.servesPlaceholder(job) : false)
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
        var window = try Window(images: images, album: id, folder: folder, animated: animated, downloader: downloader, events: events)
        window.announced = servedBefore
        // A list long enough to be on disk has its records there too.
        if images.isSpooled { window.fetched.spool = try MediaRecordSpool(in: folder) }
        // An album in memory announces its files at once (the progress line's total); a long one as they come.
        if download, let items = images.itemsInMemory {
            let files = window.expectedFiles(items)
            events.expectFiles(files.count, bytes: files.bytes)
        }
        try await withThrowingTaskGroup(of: Ended.self) { group in
            var running = 0
            while true {
                while running < mediaWindow, let (position, job) = try window.admitNext(seenAt: seenAt) {
                    if download, images.isSpooled { events.expectFiles(1, bytes: job.apiSize ?? 0) }
                    group.addTask { try await end(position, job) }
                    running += 1
                }
                guard running > 0, let result = try await group.next() else { break }
                running -= 1
                try window.take(result, at: seenAt)
            }
        }
        if let failure = window.firstPermanentFailure ?? window.firstFailure { throw failure }
        return window.fetched
    }

    /// What the window holds between admitting a position and recording it.
    private struct Window {
        var fetched = Fetched()
        var items: ImageList.Iterator
        let album: ImgurID
        let folder: Directory
        let animated: AnimatedFormat
        let downloader: MediaDownloader
        let events: any RunEvents
        let reorderLimit: Int
        /// Media whose placeholder change is recorded (before, or in this run).
        var announced: Set<ImgurID> = []
        var firstFailure: (any Error)?
        var firstPermanentFailure: (any Error)?
        private var listIndex = 0
        private var exhausted = false
        private var (nextPosition, nextRecord) = (1, 1)
        /// Admitted positions not yet recorded: their image, and their outcome once ended (nil: failed).
        private var admitted: [Int: Image] = [:]
        private var ended: [Int: (outcome: MediaOutcome?, placeholder: Bool)] = [:]
        /// Files in flight, and the later positions of the same file waiting for them.
        private var parked: [String: [Int]] = [:]
        /// Outcomes of the files that ended, by name (nil: failed); for a list on disk only the last few.
        private var endedFiles: [String: MediaOutcome?] = [:]
        private var endedOrder: [String] = []
        private var endedOrderStart = 0
        private let endedLimit: Int

        init(images: ImageList, album: ImgurID, folder: Directory, animated: AnimatedFormat, downloader: MediaDownloader, events: any RunEvents) throws {
            items = try images.makeIterator()
            (self.album, self.folder, self.animated, self.downloader, self.events) = (album, folder, animated, downloader, events)
            reorderLimit = 1024
            endedLimit = images.isSpooled ? 4096 : .max
        }

        /// The next position that needs a file fetched (or looked for on disk), with its job; the
        /// positions before it that need none (no link, a file that ended or is in flight) are
        /// settled on the way. Nil at the end of the list or when the window is as far ahead as it may go.
        mutating func admitNext(seenAt: Date) throws -> (Int, MediaJob)? {
            while !exhausted, nextPosition - nextRecord < reorderLimit {
                guard let (image, job) = try nextImage() else {
                    exhausted = true
                    break
                }
                let position = nextPosition
                nextPosition += 1
                admitted[position] = image
                guard let job else {
                    ended[position] = (.unavailable(UnavailableMedia(status: .noLink, httpStatus: nil, url: nil, seenAt: seenAt)), false)
                    try record(seenAt: seenAt)
                    continue
                }
                if let outcome = endedFiles[job.fileName] {
                    ended[position] = (outcome, false)
                    try record(seenAt: seenAt)
                    continue
                }
                if parked[job.fileName] != nil {
                    parked[job.fileName]?.append(position)
                    continue
                }
                parked[job.fileName] = []
                return (position, job)
            }
            return nil
        }

        /// A file ended: its position and every position parked behind it get its outcome.
        mutating func take(_ result: Ended, at seenAt: Date) throws {
            var outcome: MediaOutcome?
            switch result.outcome {
            case .success(let value):
                outcome = value
                if case .stored(let stored) = value {
                    if result.downloaded {
                        fetched.files += 1
                        fetched.bytes += stored.bytes
                    } else {
                        fetched.reused += 1
                    }
                }
            case .failure(let error):
                firstFailure = firstFailure ?? error
                if !((error as? any RetryableError)?.isTransient ?? false) { firstPermanentFailure = firstPermanentFailure ?? error }
            }
            ended[result.position] = (outcome, result.placeholder)
            for position in parked.removeValue(forKey: result.fileName) ?? [] { ended[position] = (outcome, false) }
            endedFiles[result.fileName] = .some(outcome)
            endedOrder.append(result.fileName)
            if endedOrder.count - endedOrderStart > endedLimit {
                endedFiles[endedOrder[endedOrderStart]] = nil
                endedOrderStart += 1
                if endedOrderStart >= 4096 {
                    endedOrder.removeFirst(endedOrderStart)
                    endedOrderStart = 0
                }
            }
            try record(seenAt: seenAt)
        }

        /// The records that can be written now, in album order.
        private mutating func record(seenAt: Date) throws {
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
                    events.note("\(album)/\(stored.fileName): Imgur now serves its placeholder; the archived file is kept")
                    fetched.placeholders.append(AlbumChange(
                        .mediaPlaceholderServed, at: seenAt, media: image.id, from: .string(stored.fileName), to: "removed.png"))
                }
                nextRecord += 1
            }
        }

        /// The next usable image of the list and its job (nil: no link); items without a valid id
        /// are left out, with why.
        private mutating func nextImage() throws -> (Image, MediaJob?)? {
            while let item = try items.next() {
                listIndex += 1
                do {
                    let image = try Image(json: item)
                    return (image, job(image))
                } catch {
                    fetched.refused.append(RefusedItem(index: listIndex, reason: "\(error)"))
                }
            }
            return nil
        }

        private func job(_ image: Image) -> MediaJob? {
            guard let source = image.mediaSource(animated: animated) else { return nil }
            let apiSize = source.isMP4Alternative ? image.mp4Size : image.size
            return MediaJob(
                album: album, folder: folder, source: source, fileName: MediaFileName.make(image.id, fileExtension: source.fileExtension),
                apiSize: apiSize, limit: downloader.settings.limit(forAPISize: apiSize))
        }

        /// The files of a list held in memory, each once, and what the API says they weigh.
        func expectedFiles(_ items: [JSONValue]) -> (count: Int, bytes: Int64) {
            var names = Set<String>()
            var bytes: Int64 = 0
            for item in items {
                guard let image = try? Image(json: item), let job = job(image), names.insert(job.fileName).inserted else { continue }
                bytes += job.apiSize ?? 0
            }
            return (names.count, bytes)
        }
    }

    fileprivate func existingFile(_ job: MediaJob, recorded: MediaRecord?) throws -> MediaOutcome? {
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
