import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
import ExactJSON
import HTTPCore
@testable import ImgurAPI
@testable import ImgurArchiveCLI
@testable import Jobs

/// `merge`: shard directories into one archive (docs/scale-out.md, "Merging").
@Suite struct MergeTests {
    /// Four albums on the fake; shard 0 gets q6i58, XyZ12ab, AbC12de (its AbC12de partial: one
    /// media served as Imgur's placeholder), shard 1 gets XyZ12ab, AbC12de, MixAll7 (complete).
    static func shards(_ harness: Harness) async throws -> (String, String) {
        for (index, id) in ["q6i58", "XyZ12ab", "AbC12de", "MixAll7"].enumerated() {
            harness.imgur.add(FakeAlbum(id: id, media: [FakeMedia(id: "Mrg\(index)AAA", size: 2_000), FakeMedia(id: "Mrg\(index)BBB", size: 3_000)]))
        }
        let zero = try Harness.makeTemporaryDirectory()
        let one = try Harness.makeTemporaryDirectory()
        harness.imgur.inject("/media/Mrg2BBB.jpg", .redirect(to: "\(harness.imgur.apiBase)/removed.png"))
        let first = await harness.run(["-C", zero, "q6i58", "XyZ12ab", "AbC12de"])
        #expect(first.status == .success, "\(first.out)\(first.err)")
        #expect(first.out.contains("partial          AbC12de"), "\(first.out)")
        let second = await harness.run(["-C", one, "XyZ12ab", "AbC12de", "MixAll7"])
        #expect(second.status == .success, "\(second.out)\(second.err)")
        return (zero, one)
    }

    @Test(arguments: [false, true])
    func overlappingShardsMergeIntoOneArchiveThatVerifies(copying: Bool) async throws {
        let harness = try Harness()
        let (zero, one) = try await Self.shards(harness)
        defer { for path in [zero, one] { try? FileManager.default.removeItem(atPath: path) } }
        let into = harness.path("merged")
        let merged: Harness.Result
        if copying {
            // The path a second filesystem takes: copied, verified by SHA-256, renamed into place.
            try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
            let destination = try StorageLayout(root: into)
            let catalog = try Catalog.open(in: destination)
            let merger = Merger(destination: destination, catalog: catalog, events: RecordingEvents(), move: true, alwaysCopy: true)
            let a = try merger.merge([try StorageLayout(root: zero)])
            let b = try merger.merge([try StorageLayout(root: one)])
            catalog.close()
            #expect(a.merged == 3 && b.merged == 2 && b.alreadyThere == 1 && b.conflicts == 1 && a.failed + b.failed == 0, "\(a) \(b)")
            #expect(!FileManager.default.fileExists(atPath: "\(zero)/q6i58"), "--move: removed once copied and verified")
            merged = await harness.run(["-C", into, "verify"])
        } else {
            merged = await harness.run(["merge", zero, one, "--into", into])
            #expect(merged.status == .success, "\(merged.out)\(merged.err)")
            #expect(merged.out.contains("conflict: the one from \(one) is more complete; the one here moved to merge-conflicts/AbC12de-1"), "\(merged.out)")
            #expect(merged.out.hasSuffix("merge: 5 merged, 1 already there, 1 conflicts (listed), 0 failed, of 6 entries from 2 sources into \(into)\n"))
        }
        let catalog = try #require(harness.json("merged/scraping_logs.json")?.objectValue)
        #expect(catalog.keys.sorted() == ["AbC12de", "MixAll7", "XyZ12ab", "q6i58"])
        #expect(catalog["AbC12de"]?["status"] == "complete", "the complete one wins")
        let verify = await harness.run(["-C", into, "verify"])
        #expect(verify.status == .success, "\(verify.out)\(verify.err)")
        // Byte for byte what one machine archiving everything makes.
        let single = try Harness.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: single) }
        #expect(await harness.run(["-C", single, "q6i58", "XyZ12ab", "AbC12de", "MixAll7"]).status == .success)
        for id in ["q6i58", "XyZ12ab", "AbC12de", "MixAll7"] {
            for file in filesBelow("\(single)/\(id)") {
                #expect(
                    FileManager.default.contents(atPath: "\(into)/\(id)/\(file)") == FileManager.default.contents(atPath: "\(single)/\(id)/\(file)"),
                    "\(id)/\(file)")
            }
        }
    }

    @Test func aSourceWithATornCatalogTailIsRepairedThenMerged() async throws {
        let harness = try Harness()
        let (zero, one) = try await Self.shards(harness)
        defer { for path in [zero, one] { try? FileManager.default.removeItem(atPath: path) } }
        // A run killed mid-append: the last line cut, the closing brace gone.
        let catalog = "\(zero)/scraping_logs.json"
        var text = try String(contentsOfFile: catalog, encoding: .utf8)
        text = String(text.dropLast(3)) + ",\n\"NeWoNe\": {\"archived_at\":\"2026-"
        try text.write(toFile: catalog, atomically: false, encoding: .utf8)
        let into = harness.path("merged")
        let merged = await harness.run(["merge", zero, "--into", into])
        #expect(merged.status == .success, "\(merged.out)\(merged.err)")
        #expect(merged.err.contains("repaired a torn end of \(catalog)"), "\(merged.err)")
        #expect(harness.json("merged/scraping_logs.json")?.objectValue?.keys.sorted() == ["AbC12de", "XyZ12ab", "q6i58"])
    }

    @Test func aConflictNeverOverwritesAndIsListed() async throws {
        let harness = try Harness()
        let (zero, one) = try await Self.shards(harness)
        defer { for path in [zero, one] { try? FileManager.default.removeItem(atPath: path) } }
        let into = harness.path("merged")
        // The complete one first, then the partial one: the partial one is left where it is.
        let merged = await harness.run(["merge", one, zero, "--into", into])
        #expect(merged.status == .success)
        #expect(merged.out.contains("conflict: the one here is kept (complete, archived "), "\(merged.out)")
        #expect(FileManager.default.fileExists(atPath: "\(zero)/AbC12de/metadata_AbC12de.json"), "the losing source folder stays")
        #expect(harness.json("merged/scraping_logs.json")?["AbC12de"]?["status"] == "complete")
    }

    /// The kill points inside a conflict: the loser set aside but the winner not brought (A), and
    /// the winner brought but its entry not appended (B). The rerun finishes both the same way.
    @Test(arguments: ["set aside", "brought"])
    func aMergeCutShortInAConflictFinishesOnTheRerun(point: String) async throws {
        let harness = try Harness()
        let (zero, one) = try await Self.shards(harness)
        defer { for path in [zero, one] { try? FileManager.default.removeItem(atPath: path) } }
        let into = harness.path("merged")
        #expect(await harness.run(["merge", zero, "--into", into]).status == .success)
        #expect(harness.json("merged/scraping_logs.json")?["AbC12de"]?["status"] == "partial")
        // What the first merge of `one` did before it was killed.
        try FileManager.default.createDirectory(atPath: "\(into)/merge-conflicts", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: "\(into)/AbC12de", toPath: "\(into)/merge-conflicts/AbC12de-1")
        if point == "brought" { try FileManager.default.moveItem(atPath: "\(one)/AbC12de", toPath: "\(into)/AbC12de") }
        let rerun = await harness.run(["merge", one, "--into", into])
        #expect(rerun.status == .success, "\(rerun.out)\(rerun.err)")
        #expect(harness.json("merged/scraping_logs.json")?["AbC12de"]?["status"] == "complete")
        #expect(harness.json("merged/AbC12de/metadata_AbC12de.json")?["status"] == "complete")
        #expect(!FileManager.default.fileExists(atPath: "\(into)/merge-conflicts/AbC12de-2"), "the winner is not set aside")
        #expect(await harness.run(["-C", into, "verify"]).status == .success)
    }

    /// A sort too big for its memory budget goes through runs on disk: each id still settled from
    /// its own lines alone, the last line of a catalog being its entry, the runs removed after.
    @Test func aMergeBiggerThanItsMemoryBudgetKeepsEachIdsNewestEntryOnce() throws {
        func entry(_ id: String, _ reason: String) -> String {
            "\"\(id)\": {\"checked_at\":\"2026-11-30T10:00:00Z\",\"id\":\"\(id)\",\"kind\":\"album\",\"reason\":\"\(reason)\",\"status\":\"unavailable\"}"
        }
        func catalog(_ lines: [String]) -> String { lines.isEmpty ? "{\n}\n" : "{\n" + lines.joined(separator: ",\n") + "\n}\n" }
        let folders = try (0..<3).map { _ in try Harness.makeTemporaryDirectory() }
        defer { for path in folders { try? FileManager.default.removeItem(atPath: path) } }
        let many = (0..<300).map { String(format: "Many%03d", $0) }
        try catalog([entry("Dst0001", "here before")]).write(toFile: "\(folders[0])/scraping_logs.json", atomically: false, encoding: .utf8)
        try catalog([entry("Aaa0001", "first"), entry("Bbb0001", "only").replacingOccurrences(of: "{", with: "{\"from_a_newer_version\":[1,2.50],")] + many.map { entry($0, "zero") } + [entry("Aaa0001", "newest")])
            .write(toFile: "\(folders[1])/scraping_logs.json", atomically: false, encoding: .utf8)
        // A member given twice reads differently to the catalog's reader (first) and a JSON parser
        // (last): it comes over as parsed. An entry filed under another id is left out, said so.
        let twice = entry("Two0001", "twice").replacingOccurrences(of: "{", with: "{\"status\":\"complete\",")
        let misfiled = entry("Mis0001", "misfiled").replacingOccurrences(of: "\"id\":\"Mis0001\"", with: "\"id\":\"Other01\"")
        try catalog([entry("Aaa0001", "other source"), entry("Dst0001", "other source"), twice, misfiled] + many.reversed().map { entry($0, "one") })
            .write(toFile: "\(folders[2])/scraping_logs.json", atomically: false, encoding: .utf8)
        let destination = try StorageLayout(root: folders[0])
        let catalog = try Catalog.open(in: destination, indexed: false)
        let events = RecordingEvents()
        let merger = Merger(destination: destination, catalog: catalog, events: events, move: false, memoryBudget: 1_024)
        let outcome = try merger.merge([try StorageLayout(root: folders[1]), try StorageLayout(root: folders[2])])
        catalog.close()
        #expect(outcome.entries == 302 + 304 && outcome.merged == 303 && outcome.alreadyThere == 302 && outcome.failed == 1, "\(outcome)")
        #expect(events.lines.contains("failed Mis0001 \(folders[2])/scraping_logs.json: its entry is filed under Mis0001 but says \"id\": Other01; left out"), "\(events.lines)")
        let text = try String(contentsOfFile: "\(folders[0])/scraping_logs.json", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("\"Two0001\"") })
        #expect(line.components(separatedBy: "\"status\"").count == 2, "one status, the parser's: \(line)")
        let merged = try #require(try JSONValue.parse(Data(text.utf8)).objectValue)
        #expect(merged["Two0001"]?["status"] == "unavailable")
        #expect(merged.count == 304)
        #expect(merged["Aaa0001"]?["reason"] == "newest", "a catalog's last line of an id is its entry")
        #expect(merged["Dst0001"]?["reason"] == "here before", "an equal one from a source does not replace it")
        #expect(
            try String(contentsOfFile: "\(folders[0])/scraping_logs.json", encoding: .utf8).contains("{\"from_a_newer_version\":[1,2.50],\"checked_at\""),
            "an entry comes over byte for byte, with members this version does not know")
        #expect(many.allSatisfy { merged[$0]?["reason"] == "zero" }, "the first source's is weighed first")
        #expect(!destination.directory.names().contains { $0.hasPrefix(".merge-") }, "\(destination.directory.names())")
    }

    /// A source's folder its catalog does not list (a task killed between the folder and its
    /// entry) is merged from its metadata; one holding an unfinished archive is reported and left.
    @Test func aFolderWithoutItsCatalogEntryIsMergedFromItsMetadata() async throws {
        let harness = try Harness()
        let (zero, one) = try await Self.shards(harness)
        defer { for path in [zero, one] { try? FileManager.default.removeItem(atPath: path) } }
        let catalogPath = "\(zero)/scraping_logs.json"
        let kept = try String(contentsOfFile: catalogPath, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("\"q6i58\"") && !$0.hasPrefix("\"XyZ12ab\"") }
        var text = kept.joined(separator: "\n") + "\n"
        text = text.replacingOccurrences(of: ",\n}", with: "\n}")
        try text.write(toFile: catalogPath, atomically: false, encoding: .utf8)
        let metadata = "\(zero)/XyZ12ab/metadata_XyZ12ab.json"
        try String(contentsOfFile: metadata, encoding: .utf8).replacingOccurrences(of: "\"status\": \"complete\"", with: "\"status\": \"incomplete\"")
            .write(toFile: metadata, atomically: false, encoding: .utf8)
        let into = harness.path("merged")
        let merged = await harness.run(["merge", zero, one, "--into", into])
        #expect(merged.status == .failure, "\(merged.out)\(merged.err)")
        #expect(merged.out.contains("archived         q6i58    merged from \(zero)"), "\(merged.out)")
        #expect(merged.out.contains("failed           XyZ12ab  \(zero)/XyZ12ab has no catalog entry and holds no archive its catalog could list"), "\(merged.out)")
        // Cataloged in its source first: a kill after the folder moved leaves the line for the rerun.
        let sourceCatalog = try #require(try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: catalogPath))).objectValue)
        #expect(sourceCatalog["q6i58"]?["status"] == "complete")
        #expect(sourceCatalog["XyZ12ab"] == nil)
        #expect(FileManager.default.fileExists(atPath: "\(zero)/XyZ12ab/metadata_XyZ12ab.json"), "left where it is")
        let catalog = try #require(harness.json("merged/scraping_logs.json")?.objectValue)
        #expect(catalog["q6i58"]?["status"] == "complete")
        #expect(catalog["XyZ12ab"]?["status"] == "complete", "the other shard's copy")
        #expect(await harness.run(["-C", into, "verify"]).status == .success)
    }

    /// One directory reached by two paths is one source (it could not be locked twice), and the
    /// destination reached by another path is refused.
    @Test func aDirectoryNamedByTwoPathsIsMergedOnce() async throws {
        let harness = try Harness()
        let (zero, one) = try await Self.shards(harness)
        let link = harness.path("zero-again")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: zero)
        defer { for path in [zero, one] { try? FileManager.default.removeItem(atPath: path) } }
        let into = harness.path("merged")
        let merged = await harness.run(["merge", zero, link, one, "--into", into])
        #expect(merged.status == .success, "\(merged.out)\(merged.err)")
        #expect(merged.out.hasSuffix("of 6 entries from 2 sources into \(into)\n"), "\(merged.out)")
        let intoLink = harness.path("merged-again")
        try FileManager.default.createSymbolicLink(atPath: intoLink, withDestinationPath: into)
        let itself = await harness.run(["merge", intoLink, "--into", into])
        #expect(itself.status == .usage)
        #expect(itself.err.contains("'merge' cannot take \(into) as a source and as the destination"), "\(itself.err)")
    }

    /// 100,000 catalog entries from four sources, sorted through runs on disk: the time is printed
    /// (not asserted; memory is measured by `scripts/merge-bench`, docs/performance.md).
    @Test func mergingAHundredThousandEntries() async throws {
        let harness = try Harness()
        var sources: [String] = []
        defer { for path in sources { try? FileManager.default.removeItem(atPath: path) } }
        for shard in 0..<4 {
            let directory = try Harness.makeTemporaryDirectory()
            sources.append(directory)
            var text = "{\n"
            for index in 0..<25_000 {
                let id = String(format: "%@%06d", ["A", "B", "C", "D"][shard], index)
                text += (index == 0 ? "" : ",\n")
                    + "\"\(id)\": {\"checked_at\":\"2026-11-30T10:00:00Z\",\"id\":\"\(id)\",\"kind\":\"album\",\"reason\":\"Imgur answered 404\",\"status\":\"unavailable\"}"
            }
            text += "\n}\n"
            try text.write(toFile: "\(directory)/scraping_logs.json", atomically: false, encoding: .utf8)
        }
        let into = harness.path("merged")
        let start = ContinuousClock.now
        let merged = await harness.run(["-q", "merge"] + sources + ["--into", into])
        let elapsed = ContinuousClock.now - start
        #expect(merged.status == .success, "\(merged.err)")
        #expect(harness.json("merged/scraping_logs.json")?.objectValue?.count == 100_000)
        print("merge of 100,000 catalog entries from 4 sources (debug build, in-process): \(elapsed)")
    }
}

/// The result lines, as `verdict id detail`; every other event is dropped.
final class RecordingEvents: RunEvents, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    var lines: [String] { lock.withLock { recorded } }
    func expect(_ count: Int) {}
    func result(_ verdict: Verdict, _ subject: String, _ detail: String) { lock.withLock { recorded.append("\(verdict) \(subject) \(detail)") } }
    func heading(_ label: String, _ subject: String, _ detail: String) {}
    func warning(_ text: String) {}
    func error(_ text: String) {}
    func note(_ text: String) {}
    func verbose(_ text: String) {}
    func retry(_ event: RetryEvent) {}
    func bytesReceived(_ count: Int) {}
    func fileDone() {}
}
