import ArchiveFormat
import DurableFiles
import HTTPCore
import Foundation
import ImgurAPI
import Jobs

/// Turns what a command names (ids, URLs, accounts, albums to repair) into typed work: albums done
/// already are reported without a request, a complete folder missing from the catalog is added back
/// to it, and accounts are walked.
public struct Planner: Sendable {
    public struct Plan: Sendable {
        public var work: [WorkItem] = []
        public var tally = Tally()
        /// Accounts whose walk reached the end of their listings (or stopped early where that is
        /// safe): `accounts.json` may call them complete once the run archived everything.
        public var walkedToTheEnd: [String] = []
        /// With a shard: the entries (inputs and account items) seen, and those of this shard.
        public var shardSeen = 0
        public var shardKept = 0
    }

    let services: ArchiveServices
    let request: ArchiveRequest
    let catalog: Catalog

    public init(services: ArchiveServices, request: ArchiveRequest, catalog: Catalog) {
        self.services = services
        self.request = request
        self.catalog = catalog
    }

    private var events: any RunEvents { services.events }

    /// The work of `entries`, in input order.
    public func plan(_ entries: [InputEntry], accounts: inout AccountLog) async throws -> Plan {
        var plan = Plan()
        var planned: Set<ImgurID> = []
        for entry in entries {
            let source: WorkItem.Source
            switch entry.reference {
            case .album: source = .album
            case .albumOrImage: source = .albumOrImage
            case .gallery: source = .gallery
            case .image: source = .image
            case .user(let name):
                events.expect(0)
                let walked = try await walk(name, plan: &plan, accounts: &accounts)
                let items = keep(walked, plan: &plan)
                for item in items where planned.insert(item.id).inserted { plan.work.append(item) }
                events.expect(items.count)
                continue
            }
            guard let id = entry.reference.id else { continue }
            if let shard = request.shard {
                plan.shardSeen += 1
                guard shard.contains(id) else { continue }
                plan.shardKept += 1
            }
            events.expect(1)
            try consider(WorkItem(id: id, source: source), plan: &plan, planned: &planned)
        }
        return plan
    }

    /// Listed work (`user me`): each item skipped when done, as an input entry would be.
    public func plan(listed all: [WorkItem]) throws -> Plan {
        var plan = Plan()
        let items = keep(all, plan: &plan)
        var planned: Set<ImgurID> = []
        events.expect(items.count)
        for item in items { try consider(item, plan: &plan, planned: &planned) }
        return plan
    }

    /// Reports `item` done without a request when the catalog (or a complete folder) says so;
    /// otherwise adds it to the work, once.
    private func consider(_ item: WorkItem, plan: inout Plan, planned: inout Set<ImgurID>) throws {
        let id = item.id
        let recorded = request.refresh ? nil : catalog.recorded(id, for: request.scope, asking: item.lookups)
        if recorded == .archived {
            plan.tally.alreadyArchived += 1
            events.result(.alreadyArchived, id.rawValue, "")
            events.itemFinished()
        } else if case .unavailable(let checkedAt) = recorded {
            plan.tally.recordedUnavailable += 1
            let when = checkedAt.map { "recorded \(Timestamp.iso8601(unix: $0)); " } ?? ""
            events.result(.recordedUnavailable, id.rawValue, "(\(when)--refresh to ask again)")
            events.itemFinished()
        } else if !request.refresh, !catalog.contains(id), let recovered = recoverable(id) {
            // Committed in input order with the rest, so that a crash never reorders the catalog.
            if planned.insert(id).inserted { plan.work.append(WorkItem(id: id, source: .recovered(recovered))) }
        } else if planned.insert(id).inserted {
            plan.work.append(item)
        }
    }

    /// The items of this run's shard (all without one), counted.
    private func keep(_ items: [WorkItem], plan: inout Plan) -> [WorkItem] {
        guard let shard = request.shard else { return items }
        let kept = items.filter { shard.contains($0.id) }
        plan.shardSeen += items.count
        plan.shardKept += kept.count
        return kept
    }

    /// Typed work handed over as it is (`verify --repair`): nothing is skipped.
    public func plan(_ items: [WorkItem]) -> Plan {
        events.expect(items.count)
        return Plan(work: items)
    }

    /// A folder whose documents say it is finished for this run's scope, with every file there.
    private func recoverable(_ id: ImgurID) -> CatalogEntry? {
        guard let entry = CatalogEntry.recovered(id, in: services.layout), entry.status.isDone(for: request.scope)
        else { return nil }
        return entry
    }

    /// The items of an account that still need work, with one line saying what the walk found.
    /// While any are left, `accounts.json` says the account is not complete, so that the next walk
    /// goes past pages already archived to the older ones.
    private func walk(_ name: String, plan: inout Plan, accounts: inout AccountLog) async throws -> [WorkItem] {
        let catalog = self.catalog
        let request = self.request
        let walker = AccountWalker(
            client: services.client, budget: services.budget,
            mayStopEarly: !request.allPages && accounts.isComplete(name), order: request.order,
            // Another shard's items are that shard's work: done here, so a page of them and of
            // archived ones still lets a rerun stop early.
            isDone: { item in
                if let shard = request.shard, !shard.contains(item.id) { return true }
                return !request.refresh && catalog.recorded(item.id, for: request.scope, asking: item.lookups) != nil
            })
        do {
            let walk = try await walker.walk(name)
            if !walk.items.isEmpty || walk.deferred != nil, accounts.isComplete(name) {
                try accounts.record(name, complete: false, at: services.now())
            }
            if walk.deferred == nil, walk.malformed == 0, !walk.hitPageCap { plan.walkedToTheEnd.append(name) }
            var text = "\(walk.items.count) to archive from \(TextFormat.count(walk.pages, "page", "pages"))"
            if walk.stoppedEarly { text += " (stopped at a page already archived; --all-pages walks them all)" }
            if walk.hitPageCap {
                text += " (stopped after \(AccountWalker.maxPages) pages of one listing: Imgur's listing did not end)"
                plan.tally.failed += 1
            }
            if walk.malformed > 0 {
                text += "; \(walk.malformed) listed items without a valid id were skipped"
                plan.tally.failed += 1
            }
            events.heading("account", name, text)
            if let deferred = walk.deferred {
                plan.tally.deferred += 1
                var message = "the walk of account \(name) stopped: \(deferred.reason)"
                if let reset = deferred.resetAt { message += "; the limit resets at \(Timestamp.iso8601(reset))" }
                events.warning(message + "; run again later to continue")
            }
            return walk.items
        } catch let error as FileError {
            throw error
        } catch let error as any RetryableError {
            if error.isTransient { plan.tally.failedTemporarily += 1 } else { plan.tally.failed += 1 }
            events.result(.failed, name, "account: \(error)")
        } catch is CancellationError {
            plan.tally.cancelled += 1
        } catch {
            plan.tally.failed += 1
            events.result(.failed, name, "account: \(error)")
        }
        return []
    }
}
