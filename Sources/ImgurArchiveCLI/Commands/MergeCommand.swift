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
        var sources: [StorageLayout] = []
        var seen: Set<String> = []
        // A source named twice is merged once (its lock could not be taken twice).
        for path in options.sources.map(absolute) where seen.insert(path).inserted {
            guard path != into else { throw CommandError.usage("'merge' cannot take \(path) as a source and as the destination") }
            guard FileManager.default.fileExists(atPath: "\(path)/\(StorageLayout.catalogName)") else {
                throw CommandError.notAnArchive(path: path)
            }
            sources.append(try StorageLayout(root: path))
        }
        let lock = try RunLock.acquire(destination.directory, wait: session.global.wait)
        defer { withExtendedLifetime(lock) {} }
        Merger.removeLeftovers(in: destination)
        // Unindexed: which ids the destination holds is found by the merge's sort, not kept in memory.
        let catalog = try Catalog.open(in: destination, now: session.context.now(), indexed: false)
        defer { catalog.close() }
        if let note = catalog.repairNote { reporter.warning(note) }
        var sourceLocks: [RunLock] = []
        for source in sources {
            sourceLocks.append(try RunLock.acquire(source.directory, wait: session.global.wait))
            // Opened once as its writer: a torn tail a killed run left is repaired before it is read.
            let sourceCatalog = try Catalog.open(in: source, now: session.context.now(), indexed: false)
            if let note = sourceCatalog.repairNote { reporter.warning(note) }
            sourceCatalog.close()
            Merger.removeSourceLeftovers(in: source)
        }
        defer { withExtendedLifetime(sourceLocks) {} }
        let merger = Merger(destination: destination, catalog: catalog, events: reporter, move: options.move)
        let total = try merger.merge(sources)
        if reporter.verbosity > .quiet || total.failed > 0 { reporter.summary(
            "merge: \(total.merged) merged, \(total.alreadyThere) already there, \(total.conflicts) conflicts (listed), "
                + "\(total.failed) failed, of \(total.entries) entries from \(TextFormat.count(sources.count, "source", "sources")) into \(into)") }
        if Task.isCancelled { return .interrupted }
        return total.failed > 0 ? .failure : .success
    }
}
