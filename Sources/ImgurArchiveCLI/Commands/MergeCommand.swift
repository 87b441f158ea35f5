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
        for path in options.sources.map(absolute) {
            guard path != into else { throw CommandError.usage("'merge' cannot take \(path) as a source and as the destination") }
            guard FileManager.default.fileExists(atPath: "\(path)/\(StorageLayout.catalogName)") else {
                throw CommandError.notAnArchive(path: path)
            }
            sources.append(try StorageLayout(root: path))
        }
        let lock = try RunLock.acquire(destination.directory, wait: session.global.wait)
        defer { withExtendedLifetime(lock) {} }
        Merger.removeLeftovers(in: destination)
        let catalog = try Catalog.open(in: destination, now: session.context.now())
        defer { catalog.close() }
        if let note = catalog.repairNote { reporter.warning(note) }
        let merger = Merger(destination: destination, catalog: catalog, events: reporter, move: options.move)
        var total = Merger.Outcome()
        for source in sources {
            let sourceLock = try RunLock.acquire(source.directory, wait: session.global.wait)
            defer { withExtendedLifetime(sourceLock) {} }
            // Opened once as its writer: a torn tail a killed run left is repaired before it is read.
            let sourceCatalog = try Catalog.open(in: source, now: session.context.now())
            if let note = sourceCatalog.repairNote { reporter.warning(note) }
            sourceCatalog.close()
            Merger.removeSourceLeftovers(in: source)
            let outcome = try merger.merge(source)
            total.merged += outcome.merged
            total.alreadyThere += outcome.alreadyThere
            total.conflicts += outcome.conflicts
            total.failed += outcome.failed
            total.entries += outcome.entries
            if Task.isCancelled { break }
        }
        if reporter.verbosity > .quiet || total.failed > 0 { reporter.summary(
            "merge: \(total.merged) merged, \(total.alreadyThere) already there, \(total.conflicts) conflicts (listed), "
                + "\(total.failed) failed, of \(total.entries) entries from \(TextFormat.count(sources.count, "source", "sources")) into \(into)") }
        if Task.isCancelled { return .interrupted }
        return total.failed > 0 ? .failure : .success
    }
}
