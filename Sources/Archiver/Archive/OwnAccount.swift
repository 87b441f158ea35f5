import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI
import Jobs

/// `user me` with a login: everything the account holds, hidden and secret albums too, and every
/// image that is in no album (kept as a single image). Both listings are paged to their first
/// empty page and checked against the account's own counts.
public struct OwnAccount: Sendable {
    public struct Listing: Sendable {
        public var albums: [Album] = []
        public var images: [Image] = []
        /// What `/count` says, when it answered.
        public var albumCount: Int?
        public var imageCount: Int?
        public var malformed = 0
        public var hitPageCap = false

        /// Problems with the listing: fewer items than the account's counts, an endless listing.
        public var shortfalls: [String] {
            var problems: [String] = []
            if let count = albumCount, albums.count < count {
                problems.append("the albums listing gave \(albums.count) of the \(count) albums the account counts")
            }
            if let count = imageCount, images.count < count {
                problems.append("the images listing gave \(images.count) of the \(count) images the account counts")
            }
            if hitPageCap { problems.append("a listing did not end after \(AccountWalker.maxPages) pages") }
            if malformed > 0 { problems.append("\(malformed) listed items without a valid id were skipped") }
            return problems
        }
    }

    let client: ImgurClient

    public init(client: ImgurClient) {
        self.client = client
    }

    public func list() async throws -> Listing {
        var listing = Listing()
        for page in 0..<AccountWalker.maxPages {
            let items = try await client.ownPage(.albums, page: page)
            if items.isEmpty { break }
            for item in items {
                if let album = try? Album(json: item) { listing.albums.append(album) } else { listing.malformed += 1 }
            }
            if page == AccountWalker.maxPages - 1 { listing.hitPageCap = true }
        }
        for page in 0..<AccountWalker.maxPages {
            let items = try await client.ownPage(.images, page: page)
            if items.isEmpty { break }
            for item in items {
                if let image = try? Image(json: item) { listing.images.append(image) } else { listing.malformed += 1 }
            }
            if page == AccountWalker.maxPages - 1 { listing.hitPageCap = true }
        }
        listing.albumCount = try? await client.ownCount(.albums)
        listing.imageCount = try? await client.ownCount(.images)
        return listing
    }

    /// Image ids that are in one of `albums`, from their archived metadata where the folder has it,
    /// else from Imgur (`/3/album/{id}`).
    public func albumMembers(_ albums: [Album], layout: StorageLayout) async throws -> Set<String> {
        var members: Set<String> = []
        for album in albums {
            let id = album.id
            let archived = try? await BlockingIO.run { () -> [String]? in
                guard let folder = try? layout.albumFolder(id) else { return nil }
                return AlbumFolder.read(id, in: folder).metadata?.media.map(\.id.rawValue)
            }
            if let archived = archived ?? nil {
                members.formUnion(archived)
            } else {
                members.formUnion(try await client.album(id).images.map(\.id.rawValue))
            }
        }
        return members
    }
}
