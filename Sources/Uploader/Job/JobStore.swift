import DurableFiles
import Foundation

/// `upload-jobs/` in the storage directory: one file per job (0700 folder, 0600 files), and the
/// multipart bodies being sent (`upload-jobs/.spool/`, removed once sent).
public struct JobStore: Sendable {
    public static let folderName = "upload-jobs"
    let folder: Directory
    public let path: String

    /// Opens (creating, 0700) `upload-jobs/` of the storage directory `root`.
    public init(root: Directory, create: Bool = true) throws {
        if create, !root.hasSubdirectory(Self.folderName) {
            _ = try root.subdirectory(Self.folderName, create: true)
            chmod(root.path(Self.folderName), 0o700)
        }
        folder = try root.subdirectory(Self.folderName)
        path = folder.path
    }

    private init(folder: Directory) {
        self.folder = folder
        path = folder.path
    }

    /// For a run that sends nothing (`sync --dry-run`) where `upload-jobs/` does not exist yet: it
    /// lists no job, and the run makes none.
    public static func none(root: Directory) -> JobStore { JobStore(folder: root) }

    static func fileName(_ id: String) -> String { "\(id).json" }

    /// Every job id, oldest first (by creation time in the file; ties by id).
    public func ids() -> [String] {
        folder.names().compactMap { name -> String? in
            guard name.hasSuffix(".json"), !name.hasPrefix(".") else { return nil }
            let id = String(name.dropLast(5))
            return UploadJob.isValidID(id) ? id : nil
        }.sorted()
    }

    /// Every job with its items, oldest first. A damaged file is reported, not skipped silently.
    public func all() -> [Result<(UploadJob, [UploadItem]), UploadError>] {
        let loaded = ids().map { id -> Result<(UploadJob, [UploadItem]), UploadError> in
            do {
                return .success(try JobFile.snapshot(Self.fileName(id), in: folder))
            } catch let error as UploadError {
                return .failure(error)
            } catch {
                return .failure(.damagedJob(path: folder.path(Self.fileName(id)), reason: "\(error)"))
            }
        }
        return loaded.sorted { lhs, rhs in
            switch (lhs, rhs) {
            case (.success(let a), .success(let b)): (a.0.createdAt, a.0.id) < (b.0.createdAt, b.0.id)
            case (.success, .failure): true
            default: false
            }
        }
    }

    public func snapshot(_ id: String) throws -> (UploadJob, [UploadItem]) { try JobFile.snapshot(Self.fileName(id), in: folder) }

    /// A new job's file, with an id no job here has.
    public func create(items: [UploadItem.Source], now: Date, configure: (inout UploadJob) -> Void, describe: (UploadItem.Source) -> String?)
        throws -> JobFile
    {
        var id = UploadJob.newID()
        while folder.exists(Self.fileName(id)) { id = UploadJob.newID() }
        var job = UploadJob(id: id, createdAt: now)
        configure(&job)
        let list = items.enumerated().map { offset, source in
            var item = UploadItem(index: offset + 1, source: source, name: Self.itemName(job: id, index: offset + 1, source), createdAt: now)
            item.description = describe(source) ?? job.description
            item.title = job.title
            return item
        }
        return try JobFile.create(job, items: list, in: folder, named: Self.fileName(id))
    }

    public func open(_ id: String) throws -> JobFile { try JobFile.open(Self.fileName(id), in: folder) }

    /// Where an item's multipart body is written while it is sent (removed after).
    func spoolPath(job: String, index: Int) throws -> String {
        let spool = try folder.subdirectory(".spool", create: true)
        return spool.path(".\(job)-\(index).multipart")
    }

    /// `ia-<job>-<index>-<file name>`: unique, and readable in the account's image list.
    static func itemName(job: String, index: Int, _ source: UploadItem.Source) -> String {
        let base: String
        switch source {
        case .file(let path): base = (path as NSString).lastPathComponent
        case .url(let url): base = URL(string: url)?.lastPathComponent ?? "url"
        }
        let safe = String(base.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(80).map(Character.init))
        return "ia-\(job)-\(index)-\(safe.isEmpty ? "item" : safe)"
    }
}
