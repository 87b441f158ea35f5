import Foundation

@testable import ArchiveFormat
@testable import ExactJSON
@testable import ImgurAPI

extension Catalog {
    /// The catalog at `path` (a `scraping_logs.json` in the folder to open), for tests that name files.
    static func open(_ path: String, now: Date = Date()) throws -> Catalog {
        precondition(path.hasSuffix("/\(StorageLayout.catalogName)"), "tests open catalogs by their usual name")
        return try open(in: StorageLayout(root: (path as NSString).deletingLastPathComponent), now: now)
    }

    static func forEachEntry<Failure: Error>(_ path: String, _ body: (ImgurID, JSONValue) throws(Failure) -> Void) throws {
        try forEachEntry(in: StorageLayout(root: (path as NSString).deletingLastPathComponent), body)
    }
}
