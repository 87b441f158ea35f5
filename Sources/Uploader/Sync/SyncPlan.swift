import Foundation

/// What a folder's files did since the last agreed state, worked out by content (SHA-256), never
/// by name: a file whose content left one path and appeared at another was renamed (same folder)
/// or moved (another folder); a path whose content changed was edited; content already on Imgur
/// for another file is not uploaded again (docs/restore-and-sync.md, "How changes are found").
public struct SyncPlan: Sendable {
    /// One local file now: its path, size, mtime and content.
    public struct Local: Sendable, Equatable {
        public let folder: String
        public let path: String
        public let size: Int64
        public let mtime: Int64
        public let sha256: String
    }

    public enum Change: Sendable, Equatable {
        /// Not on Imgur yet: upload it.
        case new(Local)
        /// Same path, new content: upload it in the old one's place; the old image (`previous`)
        /// leaves the album (deleted with --delete).
        case edited(Local, previous: SyncState.File)
        /// The content of `from` (gone from its place) is here now: no upload. Same folder: a
        /// rename, nothing changes on Imgur; another folder: its image moves between albums.
        case moved(Local, from: SyncState.File)
        /// Content another present file already has on Imgur (`image`): one upload, in both albums.
        /// Within one folder an album cannot list an image twice: then it is a new upload.
        case sameContent(Local, as: SyncState.File)
        /// Content of an image kept on Imgur after its file was deleted here: that image again.
        case returned(Local, image: SyncState.Image)
        /// Gone from the folder, its content nowhere else: deleted on Imgur with --delete, else kept.
        case deleted(SyncState.File)
        /// Only its size or mtime changed: the record is brought up to date.
        case touched(Local, SyncState.File)
        /// Its path holds content that came from elsewhere now (a rename over it): its image is
        /// like a deleted file's (kept, or deleted with --delete); the path's record is the new one's.
        case displaced(SyncState.File)
    }

    public var changes: [Change] = []

    /// Works out the changes of every folder at once (a move crosses folders). `local` holds every
    /// supported file of every folder; `state` the last agreed files; `kept` the images kept on
    /// Imgur whose files are gone.
    public static func make(local: [Local], state: [SyncState.File], kept: [SyncState.Image]) -> SyncPlan {
        var plan = SyncPlan()
        func key(_ folder: String, _ path: String) -> String { "\(folder)\u{0}\(path)" }
        let known = Dictionary(state.filter { $0.state == .synced }.map { (key($0.folder, $0.path), $0) }, uniquingKeysWith: { a, _ in a })
        let here = Dictionary(local.map { (key($0.folder, $0.path), $0) }, uniquingKeysWith: { a, _ in a })
        // Content that left its place (its path is gone, or holds other content now): available
        // for a rename or a move, each once. Swapping two names is two renames, not two uploads.
        var leaving: [String: [SyncState.File]] = [:]
        for file in known.values {
            guard let sha = file.sha256 else { continue }
            if here[key(file.folder, file.path)]?.sha256 != sha { leaving[sha, default: []].append(file) }
        }
        for sha in leaving.keys { leaving[sha]?.sort { NaturalOrder.less($0.folder + "/" + $0.path, $1.folder + "/" + $1.path) } }
        var taken: Set<String> = []  // records whose content went to another path
        // Content on Imgur for a file that stays where it is.
        var present: [String: SyncState.File] = [:]
        for file in known.values {
            if let sha = file.sha256, let current = here[key(file.folder, file.path)], current.sha256 == sha, present[sha] == nil {
                present[sha] = file
            }
        }
        let keptByContent = Dictionary(kept.filter { $0.state == .kept && $0.sha256 != nil }.map { ($0.sha256!, $0) }, uniquingKeysWith: { a, _ in a })
        var takenKept: Set<String> = []
        var changed: [(Local, SyncState.File?)] = []
        for file in local {
            let record = known[key(file.folder, file.path)]
            if let record, record.sha256 == file.sha256 {
                if record.size != file.size || record.mtime != file.mtime { plan.changes.append(.touched(file, record)) }
                continue
            }
            changed.append((file, record))
        }
        for (file, record) in changed {
            // Its content may have come from elsewhere.
            if var sources = leaving[file.sha256], !sources.isEmpty {
                let index = sources.firstIndex { $0.folder == file.folder } ?? 0
                let source = sources.remove(at: index)
                leaving[file.sha256] = sources
                taken.insert(key(source.folder, source.path))
                plan.changes.append(.moved(file, from: source))
                continue
            }
            if let other = present[file.sha256], other.folder != file.folder {
                plan.changes.append(.sameContent(file, as: other))
                continue
            }
            if let image = keptByContent[file.sha256], image.folder == file.folder, takenKept.insert(image.id).inserted {
                plan.changes.append(.returned(file, image: image))
                continue
            }
            plan.changes.append(.new(file))
        }
        // What left a path and went nowhere: deleted here, or replaced in place by an edit (its
        // `.new` then becomes `.edited`). Looked up in a table of the `.new` changes and removed
        // in one pass at the end: a search of every change per edit was quadratic.
        var newAt: [String: Local] = [:]
        for case .new(let file) in plan.changes where here[key(file.folder, file.path)] == file {
            newAt[key(file.folder, file.path)] = file
        }
        var edited: Set<String> = []
        var rest: [Change] = []
        for sources in leaving.values {
            for file in sources where !taken.contains(key(file.folder, file.path)) {
                let path = key(file.folder, file.path)
                if let now = here[path] {
                    if newAt[path] == now {
                        edited.insert(path)
                        rest.append(.edited(now, previous: file))
                    } else {
                        rest.append(.displaced(file))
                    }
                } else {
                    rest.append(.deleted(file))
                }
            }
        }
        if !edited.isEmpty {
            plan.changes.removeAll { change in
                guard case .new(let file) = change else { return false }
                let path = key(file.folder, file.path)
                return edited.contains(path) && here[path] == file
            }
        }
        plan.changes += rest
        return plan
    }
}
