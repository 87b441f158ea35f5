import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI
import Jobs

/// `verify`: checks album folders offline against their own documents, and with `--repair` moves
/// damaged files aside and hands typed work (each album with its kind and animated format) to the
/// planner and scheduler of an archiving run, under the lock the command already holds.
public struct Verification: Sendable {
    /// An album to check and what the catalog says of it.
    public struct Target: Sendable {
        public let id: ImgurID
        public let cataloged: CatalogEntry.Summary?
    }

    let layout: StorageLayout
    let events: any RunEvents
    /// Albums checked at once.
    let jobs: Int

    public init(layout: StorageLayout, events: any RunEvents, jobs: Int) {
        self.layout = layout
        self.events = events
        self.jobs = jobs
    }

    /// The albums to check: the ids asked for, else every album folder of the storage directory and
    /// every catalog entry that should have one.
    public func targets(_ requested: [ImgurID]) throws -> [Target] {
        let cataloged = try Catalog.summaries(in: layout)
        if !requested.isEmpty { return requested.map { Target(id: $0, cataloged: cataloged[$0]) } }
        var ids = Set(layout.directory.names().compactMap(ImgurID.init).filter {
            // A symlink in place of a folder is checked too: it is reported, never followed.
            layout.directory.hasSubdirectory($0.rawValue) || layout.directory.isSymlink($0.rawValue)
        })
        for (id, entry) in cataloged where entry.status != .unavailable { ids.insert(id) }
        return ids.sorted().map { Target(id: $0, cataloged: cataloged[$0]) }
    }

    /// Checks albums in parallel (`jobs` at once), reporting each as it is done (unless `quietly`).
    public func check(_ targets: [Target], quietly: Bool = false) async -> [AlbumCheck] {
        let events = self.events
        let verifier = AlbumVerifier(layout: layout, onBytes: { events.bytesReceived($0) }, onFile: { events.fileDone() })
        events.expect(targets.count)
        return await withTaskGroup(of: (Int, AlbumCheck).self) { group in
            var results: [AlbumCheck?] = Array(repeating: nil, count: targets.count)
            var finished = 0
            // Lines come in the targets' order (sorted ids), whatever order the checks end in.
            var reported = 0
            var next = 0
            while next < targets.count || !group.isEmpty {
                while next < targets.count && next - finished < jobs {
                    let (index, target) = (next, targets[next])
                    group.addTask {
                        let check = try? await BlockingIO.run { verifier.check(target.id, cataloged: target.cataloged) }
                        return (index, check ?? AlbumCheck(id: target.id))
                    }
                    next += 1
                }
                guard let (index, check) = await group.next() else { break }
                results[index] = check
                finished += 1
                events.itemFinished()
                while reported < results.count, let ready = results[reported] {
                    if !quietly { report(ready) }
                    reported += 1
                }
            }
            return results.compactMap { $0 }
        }
    }

    public func report(_ check: AlbumCheck, after action: String? = nil) {
        let prefix = action.map { "after \($0): " } ?? ""
        let id = check.id.rawValue
        if check.problems.isEmpty {
            switch check.state {
            case .archived: break
            case .interrupted(let files):
                let so = files == 0 ? "no files yet" : "\(TextFormat.count(files, "file", "files")) so far"
                events.result(.incomplete, id, prefix + "an interrupted download (\(so)); run imgur-archive to finish it")
                return
            case .notArchived:
                events.result(.notArchived, id, "not in the archive: neither in the catalog nor in a folder")
                return
            case .unavailable:
                events.result(.recordedUnavailable, id, "recorded as not on Imgur; nothing archived to check")
                return
            }
            var what = check.mediaOnly
                ? "media only, no documents to check against yet" : TextFormat.count(check.files, "file", "files") + " verified"
            if !check.leftovers.isEmpty {
                what += "; \(TextFormat.count(check.leftovers.count, "leftover temporary file", "leftover temporary files")) (the next run removes \(check.leftovers.count == 1 ? "it" : "them"))"
            }
            events.result(action == nil ? .verified : .repaired, check.id.rawValue, prefix + what)
        } else {
            events.result(.damaged, check.id.rawValue, prefix + check.problems.map(\.description).joined(separator: "; "))
        }
    }

    /// Moves damaged files aside (kept: a damaged copy may be all that is left if Imgur removed the
    /// original), then archives the albums again through the planner and scheduler, which fetches
    /// what is missing and rewrites the documents. Each album is fetched in the animated format it
    /// was archived in and as the kind it is, so the same files come back.
    /// - Returns: the albums to check again.
    public func repair(
        _ damaged: [AlbumCheck], services: ArchiveServices, request: ArchiveRequest, catalog: Catalog
    ) async throws -> (targets: [Target], outcome: AlbumScheduler.Outcome) {
        let stamp = Timestamp.compact(services.now())
        var work: [WorkItem] = []
        for check in damaged where check.problems.contains(where: \.isRepairable) {
            let damagedFiles = check.problems.compactMap(\.damagedFile)
            if !damagedFiles.isEmpty {
                // Kept (it may be all that is left if Imgur removed the original), outside the album
                // folder: quarantine/<ID>/<file>.damaged-<time> (docs/archive-format.md).
                let folder = try layout.albumFolder(check.id)
                let quarantine = try layout.quarantine(check.id)
                for name in damagedFiles {
                    let aside = try folder.moveAside(name, into: quarantine, as: "\(name).damaged-\(stamp)")
                    events.note("\(check.id): moved the damaged \(name) aside to \(StorageLayout.quarantineName)/\(check.id)/\(aside)")
                }
            }
            work.append(.refetch(check.id, kind: check.kind, animated: check.animated))
        }
        var refresh = request
        refresh.refresh = true
        let plan = Planner(services: services, request: refresh, catalog: catalog).plan(work)
        let outcome = try await AlbumScheduler(services: services, request: refresh, catalog: catalog).run(plan)
        return (damaged.map { Target(id: $0.id, cataloged: CatalogEntry.Summary(status: nil, kind: $0.kind)) }, outcome)
    }
}
