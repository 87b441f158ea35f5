import ArchiveFormat
import ImgurAPI
import Jobs

/// `--dry-run`: what a run would archive, from the catalog and the inputs alone. Nothing is asked
/// of Imgur (an account's listings are only walked by a real run) and nothing is written.
public enum DryRun {
    public struct Counts: Sendable, Equatable {
        public var toArchive = 0
        public var alreadyArchived = 0
        public var unavailable = 0
        public var accounts = 0
    }

    public static func preview(
        _ entries: [InputEntry], catalog: [ImgurID: CatalogEntry.Summary], request: ArchiveRequest, events: any RunEvents
    ) -> Counts {
        var counts = Counts()
        var seen: Set<ImgurID> = []
        for entry in entries {
            let source: WorkItem.Source
            switch entry.reference {
            case .album: source = .album
            case .albumOrImage: source = .albumOrImage
            case .gallery: source = .gallery
            case .image: source = .image
            case .user(let name):
                counts.accounts += 1
                events.heading("account", name, "would be walked: its listings are only asked of Imgur by a real run")
                continue
            }
            guard let id = entry.reference.id, seen.insert(id).inserted else { continue }
            let lookups = WorkItem(id: id, source: source).lookups
            switch request.refresh ? nil : catalog[id]?.recorded(for: request.scope, asking: lookups) {
            case .archived?:
                counts.alreadyArchived += 1
                events.result(.alreadyArchived, id.rawValue, "")
            case .unavailable(let checkedAt)?:
                counts.unavailable += 1
                let when = checkedAt.map { "recorded \(Timestamp.iso8601(unix: $0)); " } ?? ""
                events.result(.recordedUnavailable, id.rawValue, "(\(when)--refresh to ask again)")
            case nil:
                counts.toArchive += 1
                events.result(.wouldArchive, id.rawValue, catalog[id] == nil ? entry.reference.description : "\(entry.reference), again")
            }
        }
        return counts
    }
}

extension DryRun.Counts {
    /// `dry run: 2 to archive, 1 already archived; nothing was asked of Imgur or written`.
    public var summary: String {
        var parts = ["\(toArchive) to archive"]
        if alreadyArchived > 0 { parts.append("\(alreadyArchived) already archived") }
        if unavailable > 0 { parts.append("\(unavailable) unavailable") }
        if accounts > 0 { parts.append(TextFormat.count(accounts, "account to walk", "accounts to walk")) }
        return "dry run: \(parts.joined(separator: ", ")); nothing was asked of Imgur or written"
    }
}
