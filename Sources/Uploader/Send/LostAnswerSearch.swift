import ExactJSON
import Foundation
import ImgurAPI

/// Looks for uploads whose answers were lost among the logged-in account's images, by the unique
/// `name` each was sent with (docs/imgur-api.md §13). Owner listings come newest first, so the
/// search stops at the first image older than the earliest lost upload: past it, an image not
/// found is provably absent.
struct LostAnswerSearch: Sendable {
    struct Image: Sendable, Equatable {
        let id: String
        let deletehash: String?
        let link: String?
    }

    struct Found: Sendable {
        var images: [String: Image] = [:]
        /// The listing was read back past the earliest lost upload (or to its end): what was not
        /// found was not stored.
        var complete = false
    }

    let client: ImgurClient
    /// Pages read at most (50 images a page).
    var maxPages = 40
    /// Clocks differ: images up to this much older than the earliest upload are still read.
    var slack: TimeInterval = 600

    func find(_ names: Set<String>, sentSince earliest: Date) async throws -> Found {
        var found = Found()
        let horizon = Int64((earliest.timeIntervalSince1970 - slack).rounded(.down))
        for page in 0..<maxPages {
            let items = try await client.ownPage(.images, page: page)
            if items.isEmpty {
                found.complete = true
                return found
            }
            for item in items {
                if let name = item["name"]?.stringValue, names.contains(name), let id = item["id"]?.stringValue {
                    found.images[name] = Image(id: id, deletehash: item["deletehash"]?.stringValue, link: item["link"]?.stringValue)
                }
            }
            if found.images.count == names.count {
                found.complete = true
                return found
            }
            if let oldest = items.compactMap({ $0["datetime"]?.int64Value }).min(), oldest < horizon {
                found.complete = true
                return found
            }
        }
        return found
    }
}
