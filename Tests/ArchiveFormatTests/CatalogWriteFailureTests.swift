import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurAPI

/// A catalog append that the disk refuses leaves the catalog exactly as it was, and nothing is
/// appended after it: the next run, with space, opens it and carries on.
@Suite struct CatalogWriteFailureTests {
    @Test(.enabled(if: TinyFilesystem.available, "needs permission to mount a tmpfs"))
    func aFailedAppendIsUndoneAndNoLaterAppendIsTried() throws {
        let disk = try TinyFilesystem(bytes: 64 * 1_024)
        defer { disk.unmount() }
        let path = "\(disk.path)/scraping_logs.json"
        let catalog = try Catalog.open(path)
        try catalog.append(CatalogFileTests.entry("AAAAA", title: "first"))
        let before = try #require(FileManager.default.contents(atPath: path))

        // Fill the disk: the catalog's last page has a little room left, a long entry needs more.
        let filler = "\(disk.path)/filler"
        let chunk = Data(repeating: 0x2A, count: 4_096)
        let handle = try #require(FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: filler, contents: nil); return filler }()))
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()

        // Titles are cut to 300 characters in the catalog: a long list of missing media makes it long.
        var long = CatalogFileTests.entry("BBBBBB", title: "long")
        long.status = .partial
        long.missing = (0..<2_000).map { String(format: "M%06d", $0) }
        #expect(throws: FileError.self) { try catalog.append(long) }
        #expect(FileManager.default.contents(atPath: path) == before, "the catalog is as it was before")
        #expect(throws: FileError.self, "nothing is appended after a failure") {
            try catalog.append(CatalogFileTests.entry("CCCCCCC"))
        }
        #expect(FileManager.default.contents(atPath: path) == before)

        try FileManager.default.removeItem(atPath: filler)
        catalog.close()
        let next = try Catalog.open(path)
        #expect(next.ids == ["AAAAA"])
        #expect(next.repairNote == nil)
        try next.append(long)
        next.close()
        #expect(try Catalog.open(path).ids == ["AAAAA", "BBBBBB"])
    }
}
