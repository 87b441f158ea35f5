import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation

/// A line of a job file: the job's own record or one item's.
enum JobRecord: AppendLogRecord {
    case job(UploadJob)
    case item(UploadItem)

    typealias Summary = Void

    var logKey: String {
        switch self {
        case .job: UploadJob.key
        case .item(let item): item.key
        }
    }

    var json: JSONValue {
        switch self {
        case .job(let job): job.json
        case .item(let item): item.json
        }
    }

    var summary: Void { () }
    static var logName: String { "upload job" }

    static func isValidKey(_ key: String) -> Bool {
        key == UploadJob.key || (key.hasPrefix("item-") && key.dropFirst(5).allSatisfy(\.isNumber) && key.count > 5)
    }

    static func summary(ofObject object: UnsafeBufferPointer<UInt8>) {}
}

/// `upload-jobs/<JOB>.json`, the one reader and writer of job files (docs/upload-jobs.md): an
/// `AppendLog` (one JSON object, a line per record, the last copy of a key winning), created 0600
/// because it holds deletehashes. Every change is one durable append, so a kill at any moment
/// leaves the job as it was before or after that change.
///
/// Open for writing by one process at a time (the log's lock); `snapshot` reads without it.
public final class JobFile: @unchecked Sendable {
    // Every use goes through `lock`: uploads in flight report to it from several tasks.
    private let log: AppendLog<JobRecord>
    private let lock = NSLock()
    public private(set) var job: UploadJob
    public private(set) var items: [UploadItem]
    /// Where each item index is in `items`: every upload updates its item several times, and a
    /// search per update was quadratic in the job's size (a restore of 25,000 media).
    private let positions: [Int: Int]
    public let path: String

    private init(log: AppendLog<JobRecord>, job: UploadJob, items: [UploadItem]) {
        self.log = log
        self.job = job
        self.items = items
        positions = Dictionary(items.enumerated().map { ($1.index, $0) }, uniquingKeysWith: { first, _ in first })
        path = log.path
    }

    /// Creates the file of a new job with all its items pending.
    static func create(_ job: UploadJob, items: [UploadItem], in folder: Directory, named name: String) throws -> JobFile {
        guard !folder.exists(name) else { throw UploadError.damagedJob(path: folder.path(name), reason: "already exists") }
        // Written whole and renamed into place: a kill leaves no job, or all of it (never a job
        // with only its first items, which would then look finished).
        let records = [JobRecord.job(job)] + items.map(JobRecord.item)
        var text = Data("{\n".utf8)
        for (index, record) in records.enumerated() {
            if index > 0 { text.append(contentsOf: Array(",\n".utf8)) }
            text.append(contentsOf: Array("\"\(record.logKey)\": ".utf8))
            text.append(record.json.serialized(.compact))
        }
        text.append(contentsOf: Array("\n}\n".utf8))
        try folder.writeAtomically(text, to: name, mode: 0o600)
        let log = try AppendLog<JobRecord>.open(name, in: folder, mode: 0o600)
        return JobFile(log: log, job: job, items: items)
    }

    /// Opens a job's file for writing (for `upload --resume`, `delete`, a restore's next run).
    static func open(_ name: String, in folder: Directory) throws -> JobFile {
        _ = try snapshot(name, in: folder)  // a missing or damaged file is refused before it is opened
        let log = try AppendLog<JobRecord>.open(name, in: folder, mode: 0o600)
        // Read again under the log's lock: another run may have written since.
        let (job, items) = try snapshot(name, in: folder)
        return JobFile(log: log, job: job, items: items)
    }

    /// The job and its items as the file `name` has them now, read without opening it for writing.
    static func snapshot(_ name: String, in folder: Directory) throws -> (UploadJob, [UploadItem]) {
        guard folder.exists(name) else {
            throw UploadError.noSuchJob(name.hasSuffix(".json") ? String(name.dropLast(5)) : name)
        }
        var job: UploadJob?
        var items: [Int: UploadItem] = [:]
        do {
            try AppendLog<JobRecord>.forEachEntry(name, in: folder) { key, value in
                if key == UploadJob.key {
                    job = UploadJob(json: value)
                } else if let item = UploadItem(json: value) {
                    items[item.index] = item
                }
            }
        } catch let damage as AppendLog<JobRecord>.Damage {
            throw UploadError.damagedJob(path: damage.path, reason: "line \(damage.line): \(damage.reason)")
        }
        guard let job else { throw UploadError.damagedJob(path: folder.path(name), reason: "it has no job record") }
        return (job, items.keys.sorted().compactMap { items[$0] })
    }

    /// Records a change to one item, durably, before anything else is done with it.
    public func update(_ index: Int, _ change: (inout UploadItem) -> Void) throws {
        try locked { () throws in
            guard let position = positions[index] else { return }
            var item = items[position]
            change(&item)
            try log.append(.item(item))
            items[position] = item
        }
    }

    public func updateJob(_ change: (inout UploadJob) -> Void) throws {
        try locked { () throws in
            var updated = job
            change(&updated)
            try log.append(.job(updated))
            job = updated
        }
    }

    public func item(_ index: Int) -> UploadItem? { locked { positions[index].map { items[$0] } } }
    public var current: (job: UploadJob, items: [UploadItem]) { locked { (job, items) } }

    /// Drops superseded lines and closes the file (releasing its lock).
    public func close() {
        locked {
            try? log.compact()
            log.close()
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
