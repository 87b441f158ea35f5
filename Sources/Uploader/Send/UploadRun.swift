import ArchiveFormat
import DurableFiles
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// Runs an upload job to its end, or as far as the rate limit allows: each item sent once, its
/// answer on disk before anything else is done with it, a video followed until Imgur has
/// transcoded it, and the job's album made in the items' order (docs/upload-jobs.md).
///
/// A POST whose answer may have been lost is never sent again blindly: its item becomes
/// `uncertain`. With a login it is looked for in the account's images by its unique name
/// (`LostAnswerSearch`); anonymously only `retryUncertain` sends it again.
public struct UploadRun: Sendable {
    public struct Settings: Sendable {
        /// Uploads at once.
        public var jobs = 4
        public var identity = RequestIdentity.anonymous
        /// `--retry-uncertain`: send uncertain items again (anonymous uploads leave nowhere to look).
        public var retryUncertain = false
        public var check = UploadCheck()
        /// How long a video may stay `processing` before its item is left for the next run.
        public var processingLimit: TimeInterval = 600
        public var firstPoll: TimeInterval = 2

        public init() {}
    }

    /// How the run ended, for the summary and the exit status.
    public struct Outcome: Sendable {
        public var uploaded = 0
        public var failed = 0
        /// Left for `upload --resume`: pending (the budget ran out, a signal), uncertain, or still processing.
        public var pending = 0
        public var uncertain = 0
        public var processing = 0
        public var deferred: RateLimitBudget.Exhausted?
        /// What stops every upload: Imgur refusing this address (`CDN-Error: yes`), the login or the
        /// client id refused, a job file that cannot be written.
        public var refused: (any Error & Sendable)?
        public var interrupted = false
        public var albumID: String?
        public var albumUncertain = false
    }

    let client: ImgurClient
    let budget: RateLimitBudget
    let events: any RunEvents
    let store: JobStore
    var settings: Settings
    let now: @Sendable () -> Date

    public init(
        client: ImgurClient, budget: RateLimitBudget, events: any RunEvents, store: JobStore, settings: Settings,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.budget = budget
        self.events = events
        self.store = store
        self.settings = settings
        self.now = now
    }

    private var loggedIn: Bool { settings.identity == .account && client.isLoggedIn }

    public func run(_ file: JobFile) async throws -> Outcome {
        // A job runs as what it was made as: an anonymous job's lost answers are never looked
        // for in an account that cannot hold them (and then sent again).
        if file.current.job.account == nil, settings.identity == .account {
            var anonymous = self
            anonymous.settings.identity = .anonymous
            return try await anonymous.runAsMade(file)
        }
        return try await runAsMade(file)
    }

    private func runAsMade(_ file: JobFile) async throws -> Outcome {
        try file.updateJob { $0.status = .running }
        try await settleUncertain(file)
        let todo = file.current.items.filter { [.pending, .failed, .processing].contains($0.state) }.map(\.index)
        events.expect(todo.count)
        let refusal = Refusal()
        let stop = await WorkWindow.run(
            todo, window: settings.jobs, firstAlone: budget.firstAnswer,
            mayStart: { budget.exhausted(inFlight: $0, cost: .upload) }, halted: { refusal.message != nil },
            work: { _, index in
                do {
                    try await self.process(index, in: file, refusal: refusal)
                } catch {
                    // A job file that cannot be written: nothing can be recorded any more.
                    refusal.set(error)
                }
                events.itemFinished()
            })
        var outcome = Outcome()
        switch stop {
        case .refused(let exhausted, _)?: outcome.deferred = exhausted
        case .cancelled?: outcome.interrupted = true
        case .halted?, nil: break
        }
        outcome.refused = refusal.message
        if !outcome.interrupted, outcome.refused == nil, !Task.isCancelled { try await AlbumStep(run: self).finish(file, outcome: &outcome) }
        let items = file.current.items
        outcome.uploaded = items.count { $0.state == .completed }
        outcome.failed = items.count { $0.state == .failed }
        outcome.pending = items.count { $0.state == .pending || $0.state == .sending }
        outcome.uncertain = items.count { $0.state == .uncertain }
        outcome.processing = items.count { $0.state == .processing }
        if case .new(_, let id, _, let uncertain)? = file.current.job.album {
            outcome.albumID = id
            outcome.albumUncertain = uncertain
        } else if case .existing(let target)? = file.current.job.album {
            outcome.albumID = target
        }
        let left = outcome.pending + outcome.uncertain + outcome.processing > 0 || outcome.albumUncertain
        try file.updateJob { job in
            job.status = left || outcome.interrupted ? .interrupted : outcome.failed > 0 ? .completedWithFailures : .completed
            job.finishedAt = left ? nil : now()
        }
        return outcome
    }

    // MARK: One item

    private func process(_ index: Int, in file: JobFile, refusal: Refusal) async throws {
        guard let item = file.item(index) else { return }
        if item.state == .processing, let id = item.imgurID.flatMap(ImgurID.init) {
            try await follow(id, index: index, in: file)
            return
        }
        try await send(item, in: file, refusal: refusal)
    }

    private func send(_ item: UploadItem, in file: JobFile, refusal: Refusal) async throws {
        let job = file.current.job
        let media: ImgurClient.UploadMedia
        switch item.source {
        case .url(let url):
            media = .url(url)
        case .file(let path):
            let check = settings.check
            let checked = try await BlockingIO.run { try Self.inspect(path, check) }
            switch checked {
            case .failure(let error):
                try file.update(item.index) {
                    $0.state = .failed
                    $0.error = error.description
                }
                events.result(.failed, item.source.text, "\(error)")
                return
            case .success(let (type, bytes, digest)):
                if let recorded = item.sha256, recorded != digest {
                    if item.restoredFrom != nil {
                        // A restore puts back the archive's bytes: a file that no longer has them
                        // is damaged, and is not sent.
                        let why = "no longer has the SHA-256 the archive recorded for it (damaged? imgur-archive verify says)"
                        try file.update(item.index) {
                            $0.state = .failed
                            $0.error = why
                        }
                        events.result(.failed, item.source.text, why)
                        return
                    }
                    // The file changed since the job was made: upload what is there now, and say so.
                    events.warning("\(path) changed since the job was made; uploading it as it is now")
                }
                try file.update(item.index) {
                    $0.bytes = bytes
                    $0.sha256 = digest
                    $0.mediaType = type.mime
                    $0.isVideo = type.isVideo
                }
                media = .file(
                    path: path, fileName: (path as NSString).lastPathComponent, contentType: type.mime, isVideo: type.isVideo)
            }
        }
        var fields = ImgurClient.UploadFields(name: item.name, title: item.title, description: item.description)
        if case .existing(let target)? = job.album { fields.album = target }
        // Recorded before the POST: a crash from here on leaves `sending`, which the next run
        // treats as uncertain, never as "not sent".
        try file.update(item.index) {
            $0.state = .sending
            $0.sentAt = now()
            $0.attempts += 1
            $0.error = nil
        }
        let answer: Uploaded
        do {
            answer = try await client.upload(
                media, fields: fields, identity: settings.identity, spool: try store.spoolPath(job: job.id, index: item.index))
        } catch {
            try settle(failed: error, item: item, in: file, refusal: refusal)
            return
        }
        // The deletehash is on disk before anything else is done with the answer.
        try file.update(item.index) {
            $0.imgurID = answer.id.rawValue
            $0.deletehash = answer.deletehash
            $0.link = answer.link
            $0.state = answer.isProcessing ? .processing : .completed
            $0.completedAt = answer.isProcessing ? nil : now()
            if fields.album != nil { $0.inAlbum = true }
        }
        if answer.isProcessing {
            try await follow(answer.id, index: item.index, in: file)
        } else {
            events.result(.uploaded, answer.id.rawValue, "\(answer.link ?? "")  \(item.source.text)")
        }
    }

    /// The file's type, size and SHA-256 (its identity: Imgur recompresses, so its own bytes never
    /// come back), or why it must not be sent.
    static func inspect(_ path: String, _ check: UploadCheck) throws -> Result<(MediaType, Int64, String), UploadError> {
        switch check.check(path) {
        case .failure(let error):
            return .failure(error)
        case .success(let found):
            let digest = try SHA256.hexDigest(ofFileAt: path)
            return .success((found.type, digest.bytes, digest.hex))
        }
    }

    /// What a failed POST means for its item: sent again later only when the failure proves Imgur
    /// did not act on it.
    private func settle(failed error: any Error, item: UploadItem, in file: JobFile, refusal: Refusal) throws {
        let source = item.source.text
        if let api = error as? ImgurAPIError {
            switch api {
            case .refusedAtEdge, .invalidRefreshToken, .invalidClientID:
                // Nothing else can go through either; none of these reached the upload endpoint's work.
                refusal.set(api)
                try file.update(item.index) {
                    $0.state = .pending
                    $0.error = api.description
                }
                events.result(.failed, source, api.description)
                return
            case .rateLimited(let message, _, let resetAt):
                budget.block("Imgur answered 429\(message.map { " (\($0))" } ?? "")", resetAt: resetAt)
                try file.update(item.index) {
                    $0.state = .pending
                    $0.error = api.description
                }
                events.result(.deferred, source, api.description)
                return
            default:
                break
            }
        }
        if let retryable = error as? any RetryableError, retryable.provesRequestNotProcessed {
            try file.update(item.index) {
                $0.state = .pending
                $0.error = "\(error)"
            }
            events.result(.deferred, source, "\(error); not received by Imgur, sent again by 'upload --resume'")
            return
        }
        if let api = error as? ImgurAPIError, !api.isTransient, Self.isRefusal(api) {
            // Imgur answered, and its answer was no: the image was not stored.
            try file.update(item.index) {
                $0.state = .failed
                $0.error = api.description
            }
            events.result(.failed, source, api.description)
            return
        }
        if error is CancellationError || Task.isCancelled {
            try file.update(item.index) {
                $0.state = .uncertain
                $0.error = "stopped while it was being sent; it may have reached Imgur"
            }
            return
        }
        // A timeout, a cut connection, a 5xx after the body went out: nobody knows.
        let why = "\(error); it may have reached Imgur"
        try file.update(item.index) {
            $0.state = .uncertain
            $0.error = why
        }
        events.result(.uncertain, source, why + (loggedIn ? "" : "; check, then 'upload --resume ID --retry-uncertain'"))
    }

    /// An answer that says the upload was not stored: a 4xx other than a rate limit.
    static func isRefusal(_ error: ImgurAPIError) -> Bool {
        switch error {
        case .unexpectedStatus(let status, _): (400..<500).contains(status)
        case .forbidden, .invalidClientID, .invalidAccessToken, .notFound: true
        default: false
        }
    }

    /// Follows a video until Imgur has transcoded it (bounded; then left for the next run).
    private func follow(_ id: ImgurID, index: Int, in file: JobFile) async throws {
        let source = file.item(index)?.source.text ?? id.rawValue
        // Elapsed time from a clock of its own: `now` may be fixed (SOURCE_DATE_EPOCH).
        let start = ContinuousClock.now
        var wait = settings.firstPoll
        while true {
            try await Task.sleep(for: .seconds(wait))
            let data = try? await client.uploadedImage(id, identity: settings.identity)
            let status = data?["processing"]?["status"]?.stringValue
            if let data, status == nil || status == "completed" {
                let link = data["link"]?.nonEmptyString
                try file.update(index) {
                    $0.state = .completed
                    $0.completedAt = now()
                    if let link { $0.link = link }
                }
                events.result(.uploaded, id.rawValue, "\(link ?? "")  \(source)")
                return
            }
            let elapsed = ContinuousClock.now - start
            let waited = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if waited >= settings.processingLimit {
                events.result(
                    .deferred, source,
                    "Imgur is still processing the video \(id) after \(TextFormat.duration(waited)); 'upload --resume' checks again")
                return
            }
            events.note("processing \(id) (\(TextFormat.duration(waited)))")
            wait = min(wait * 2, 30)
        }
    }

    // MARK: Answers lost before

    /// Items a crash left `sending` are `uncertain`; with a login, each is looked for by its name
    /// and becomes `completed` (found) or `pending` (provably absent); `retryUncertain` makes the
    /// rest pending.
    private func settleUncertain(_ file: JobFile) async throws {
        for item in file.current.items where item.state == .sending {
            try file.update(item.index) {
                $0.state = .uncertain
                $0.error = "a run stopped while it was being sent; it may have reached Imgur"
            }
        }
        let uncertain = file.current.items.filter { $0.state == .uncertain }
        guard !uncertain.isEmpty else { return }
        if loggedIn {
            let search = LostAnswerSearch(client: client)
            let earliest = uncertain.compactMap(\.sentAt).min() ?? file.current.job.createdAt
            let found = try await search.find(Set(uncertain.map(\.name)), sentSince: earliest)
            for item in uncertain {
                if let image = found.images[item.name] {
                    try file.update(item.index) {
                        $0.state = .completed
                        $0.imgurID = image.id
                        $0.deletehash = image.deletehash ?? $0.deletehash
                        $0.link = image.link
                        $0.completedAt = now()
                        $0.error = nil
                    }
                    events.result(.uploaded, image.id, "\(image.link ?? "")  \(item.source.text) (found in your account)")
                } else if found.complete {
                    try file.update(item.index) {
                        $0.state = .pending
                        $0.error = "not in your account's images: sending it again"
                    }
                } else {
                    events.warning("\(item.source.text): could not tell whether it reached Imgur; it stays uncertain")
                }
            }
        } else if settings.retryUncertain {
            for item in uncertain {
                try file.update(item.index) { $0.state = .pending }
            }
        } else {
            for item in uncertain {
                events.result(
                    .uncertain, item.source.text,
                    "the answer to its upload was lost: check whether it is on Imgur, then 'upload --resume \(file.current.job.id) --retry-uncertain' sends it again")
            }
        }
    }

    func recordAlbum(_ file: JobFile, _ change: (inout UploadJob) -> Void) throws { try file.updateJob(change) }
}

/// The first refusal that stops every upload (`CDN-Error: yes`, a refused login, a job file that
/// cannot be written).
final class Refusal: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (any Error & Sendable)?

    var message: (any Error & Sendable)? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }

    func set(_ error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if first == nil { first = error }
    }
}
