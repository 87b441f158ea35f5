import Foundation
import ImgurAPI
import Jobs

/// `delete JOB` or `delete ID...`: deletes uploads by their deletehashes (the only handle an
/// anonymous upload has) and records it in their jobs. A job's own album goes too when the whole
/// job is deleted. An image Imgur no longer has counts as deleted.
public struct Deletion: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var deleted = 0
        public var failed = 0
        /// Ids asked for that no job here uploaded.
        public var unknown: [String] = []
    }

    let client: ImgurClient
    let events: any RunEvents
    let store: JobStore

    public init(client: ImgurClient, events: any RunEvents, store: JobStore) {
        self.client = client
        self.events = events
        self.store = store
    }

    /// What `targets` (job ids or image ids) name: per job, the indexes of its items to delete,
    /// and whether the job's album goes too.
    public func plan(_ targets: [String]) throws -> (selection: [String: [Int]], wholeJobs: Set<String>, unknown: [String]) {
        var selection: [String: [Int]] = [:]
        var whole: Set<String> = []
        var unknown: [String] = []
        let jobs = store.all().compactMap { try? $0.get() }
        func deletable(_ item: UploadItem) -> Bool { item.deletehash != nil && item.state != .deleted }
        // Two tables, built once: searching every job for every target was quadratic.
        let jobByID = Dictionary(jobs.map { ($0.0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var holders: [String: [(String, Int)]] = [:]  // image id -> (job, item) still deletable, a job once
        for (job, items) in jobs {
            var seen: Set<String> = []
            for item in items where deletable(item) {
                if let image = item.imgurID, seen.insert(image).inserted { holders[image, default: []].append((job.id, item.index)) }
            }
        }
        for target in targets {
            if let (job, items) = jobByID[target] {
                selection[job.id, default: []] += items.filter(deletable).map(\.index)
                whole.insert(job.id)
                continue
            }
            let owners = holders[target] ?? []
            if owners.isEmpty { unknown.append(target) }
            for (job, index) in owners { selection[job, default: []].append(index) }
        }
        return (selection, whole, unknown)
    }

    public func run(_ selection: [String: [Int]], wholeJobs: Set<String>) async throws -> Outcome {
        var outcome = Outcome()
        for id in selection.keys.sorted() {
            let file = try store.open(id)
            defer { file.close() }
            for index in Set(selection[id] ?? []).sorted() {
                guard let item = file.item(index), let hash = item.deletehash else { continue }
                do {
                    try await deleteImage(hash)
                    try file.update(index) { $0.state = .deleted }
                    outcome.deleted += 1
                    events.result(.deleted, item.imgurID ?? item.name, item.source.text)
                } catch {
                    outcome.failed += 1
                    events.result(.failed, item.imgurID ?? item.name, "not deleted: \(error)")
                }
            }
            if wholeJobs.contains(id), case .new(let title, let albumID?, let hash?, _)? = file.current.job.album {
                do {
                    try await client.deleteAlbum(hash, identity: .anonymous)
                    events.result(.deleted, albumID, "album \"\(title)\"")
                } catch ImgurAPIError.notFound {
                    events.result(.deleted, albumID, "album \"\(title)\" (already gone)")
                } catch {
                    outcome.failed += 1
                    events.result(.failed, albumID, "album not deleted: \(error)")
                }
            }
        }
        return outcome
    }

    /// Deleting by deletehash needs no login; a 404 means it is gone already.
    private func deleteImage(_ hash: String) async throws {
        do {
            try await client.deleteImage(hash, identity: .anonymous)
        } catch ImgurAPIError.notFound {
            return
        }
    }
}
