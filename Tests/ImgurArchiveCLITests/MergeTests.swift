import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
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
            let merger = Merger(destination: destination, catalog: catalog, events: SilentEvents(), move: true, alwaysCopy: true)
            let a = try merger.merge(try StorageLayout(root: zero))
            let b = try merger.merge(try StorageLayout(root: one))
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

    /// 100,000 catalog entries from four sources: the time is printed (not asserted); memory holds
    /// one summary per id, never the entries.
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

/// Events nobody reads.
struct SilentEvents: RunEvents {
    func expect(_ count: Int) {}
    func result(_ verdict: Verdict, _ subject: String, _ detail: String) {}
    func heading(_ label: String, _ subject: String, _ detail: String) {}
    func warning(_ text: String) {}
    func error(_ text: String) {}
    func note(_ text: String) {}
    func verbose(_ text: String) {}
    func retry(_ event: RetryEvent) {}
    func bytesReceived(_ count: Int) {}
    func fileDone() {}
}
