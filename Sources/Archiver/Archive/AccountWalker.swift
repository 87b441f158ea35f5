import Jobs
import ExactJSON
import ImgurAPI

/// Lists what an account holds that is not archived yet: its gallery submissions and its albums,
/// page by page until an empty page, or (incremental) until a page whose items are all archived
/// already: only the pages not completely processed are fetched (docs/design.md, "Accounts").
/// Stopping early is only safe once an earlier walk got everything archived (`AccountLog`).
struct AccountWalker {
    struct Walk {
        var items: [WorkItem] = []
        var pages = 0
        /// The walk ended at a page already archived, before the listings' ends.
        var stoppedEarly = false
        /// A listing went on past `maxPages` (an API that never ends): the walk stopped there.
        var hitPageCap = false
        /// The rate-limit budget ran out during the walk.
        var deferred: RateLimitBudget.Exhausted?
        /// Listed items that could not be read (no valid id).
        var malformed = 0
    }

    /// Pages of one listing walked at most (60 items a page: 30,000 items). Beyond it an account
    /// listing is taken for one that never ends, and memory stays bounded (docs/design.md).
    static let maxPages = 500

    let client: ImgurClient
    let budget: RateLimitBudget
    /// Whether the walk may stop at a page whose items are all archived.
    let mayStopEarly: Bool
    let order: AccountOrder
    /// Whether a listed item needs no work (in the catalog, done for this run's scope).
    let isDone: (WorkItem) -> Bool

    /// - Throws: what the API throws for the account itself (not found, forbidden, ...).
    func walk(_ user: String) async throws -> Walk {
        var walk = Walk()
        var seen: Set<ImgurID> = []
        listings: for listing in ImgurClient.AccountListing.allCases {
            var page = 0
            while true {
                if page >= Self.maxPages {
                    walk.hitPageCap = true
                    break
                }
                if let exhausted = budget.exhausted(inFlight: 0) {
                    walk.deferred = exhausted
                    break listings
                }
                let items = try await client.accountPage(user, listing, page: page)
                if items.isEmpty { break }
                walk.pages += 1
                var everythingArchived = true
                var anythingNew = false
                for json in items {
                    guard let item = try? Self.item(json, listing) else {
                        walk.malformed += 1
                        continue
                    }
                    guard seen.insert(item.id).inserted else { continue }
                    anythingNew = true
                    let work = WorkItem(id: item.id, source: .listed(item))
                    if isDone(work) { continue }
                    everythingArchived = false
                    walk.items.append(work)
                }
                // A page that only repeats what earlier pages listed: an API that does not page.
                if !anythingNew { break }
                if everythingArchived && mayStopEarly {
                    walk.stoppedEarly = true
                    break
                }
                page += 1
            }
        }
        // Listings come newest first; the oldest-first order archives them from the end.
        if order == .oldestFirst { walk.items.reverse() }
        return walk
    }

    /// The albums listing holds albums only, whether or not its items say `is_album`.
    private static func item(_ json: JSONValue, _ listing: ImgurClient.AccountListing) throws -> GalleryItem {
        listing == .albums ? .album(try Album(json: json)) : try GalleryItem(json: json)
    }
}
