import ArchiveFormat
import Archiver
import DurableFiles
import Foundation
import Jobs

/// `imgur-archive merge SRC… [--into DST] [--move]` (docs/scale-out.md, "Merging"): shard
/// directories brought into one archive. Every directory involved is locked for the whole merge.
struct MergeCommand {
    let options: MergeOptions

    func run(_ session: Session) async throws -> ExitCode {
        let reporter = session.reporter
        let base = session.context.currentDirectory
        func absolute(_ path: String) -> String { ((path.hasPrefix("/") ? path : "\(base)/\(path)") as NSString).standardizingPath }
        let into = options.into.map(absolute) ?? session.layout.root
        if !FileManager.default.fileExists(atPath: into) {
            try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        }
        let destination = try StorageLayout(root: into)
        guard let destinationIdentity = Self.identity(into) else { throw CommandError.notAnArchive(path: into) }
        var sources: [StorageLayout] = []
        var involved: [([UInt64], StorageLayout)] = [(destinationIdentity, destination)]
        // A directory is known by its device and inode, not its path: one reached by two paths
        // (a symlink, a bind mount) is one directory, whose lock could not be taken twice.
        var seen: Set<[UInt64]> = [destinationIdentity]
        for path in options.sources.map(absolute) {
            guard FileManager.default.fileExists(atPath: "\(path)/\(StorageLayout.catalogName)"), let identity = Self.identity(path) else {
                throw CommandError.notAnArchive(path: path)
            }
            if identity == destinationIdentity {
                throw CommandError.usage("'merge' cannot take \(path) as a source and as the destination")
            }
            // A source named twice is merged once.
            guard seen.insert(identity).inserted else { continue }
            sources.append(try StorageLayout(root: path))
            involved.append((identity, sources[sources.count - 1]))
        }
        guard sources.count < Merger.maxSources else {
            throw CommandError.usage("'merge' takes at most \(Merger.maxSources - 1) sources at once, not \(sources.count)")
        }
        // Every directory is locked for the whole merge, in one order (device, inode) whatever the
        // command line says: two merges that share directories never wait for each other in a ring.
        var locks: [RunLock] = []
        for (_, layout) in involved.sorted(by: { $0.0.lexicographicallyPrecedes($1.0) }) {
            locks.append(try await session.lock(layout))
        }
        defer { withExtendedLifetime(locks) {} }
        Merger.removeLeftovers(in: destination)
        // Unindexed: which ids the destination holds is found by the merge's sort, not kept in memory.
        let catalog = try Catalog.open(in: destination, now: session.context.now(), indexed: false)
        defer { catalog.close() }
        if let note = catalog.repairNote { reporter.warning(note) }
        for source in sources {
            // Opened once as its writer: a torn tail a killed run left is repaired before it is read.
            let sourceCatalog = try Catalog.open(in: source, now: session.context.now(), indexed: false)
            if let note = sourceCatalog.repairNote { reporter.warning(note) }
            sourceCatalog.close()
            Merger.removeSourceLeftovers(in: source)
        }
        let merger = Merger(destination: destination, catalog: catalog, events: reporter, move: options.move)
        let total = try merger.merge(sources)
        if reporter.verbosity > .quiet || total.failed > 0 { reporter.summary(
            "merge: \(total.merged) merged, \(total.alreadyThere) already there, \(total.conflicts) conflicts (listed), "
                + "\(total.failed) failed, of \(total.entries) entries from \(TextFormat.count(sources.count, "source", "sources")) into \(into)") }
        if Task.isCancelled { return .interrupted }
        return total.failed > 0 ? .failure : .success
    }

    /// A directory's device and inode; nil when it cannot be looked at.
    static func identity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}
