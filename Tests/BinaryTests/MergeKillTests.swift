import Foundation
import TestSupport
import Testing

@testable import ExactJSON

/// `merge` killed with SIGKILL half way, then run again: the same archive as one merge makes.
@Suite struct MergeKillTests {
    /// A shard directory: real albums archived from the fake, then `extra` unavailable entries
    /// (no folders), so that the merge takes long enough to be struck in the middle.
    static func shard(_ harness: ArchiveFixture, albums: [String], extra: Int, prefix: String) async throws -> String {
        let directory = try makeTemporaryDirectory()
        var environment = harness.baseEnvironment
        environment["SOURCE_DATE_EPOCH"] = "1790000000"
        let archived = try await BinaryRunner.run(albums, environment: environment, directory: directory)
        #expect(archived.status == 0, "\(archived.out)\(archived.err)")
        let path = "\(directory)/scraping_logs.json"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = String(text.dropLast(3))
        for index in 0..<extra {
            let id = String(format: "%@%06d", prefix, index)
            text += ",\n\"\(id)\": {\"checked_at\":\"2026-11-30T10:00:00Z\",\"id\":\"\(id)\",\"kind\":\"album\",\"reason\":\"Imgur answered 404\",\"status\":\"unavailable\"}"
        }
        text += "\n}\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return directory
    }

    @Test func aMergeKilledHalfWayAndRunAgainGivesTheSameArchive() async throws {
        let harness = try ArchiveFixture()
        for (index, id) in ["q6i58", "XyZ12ab", "AbC12de", "MixAll7"].enumerated() {
            harness.imgur.add(FakeAlbum(id: id, media: [FakeMedia(id: "Kil\(index)AAA", size: 4_000)]))
        }
        let zero = try await Self.shard(harness, albums: ["q6i58", "XyZ12ab"], extra: 40_000, prefix: "A")
        let one = try await Self.shard(harness, albums: ["AbC12de", "MixAll7"], extra: 40_000, prefix: "B")
        let copies = try [zero, one].map { source -> String in
            let copy = try makeTemporaryDirectory()
            try FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: source, toPath: copy)
            return copy
        }
        let work = try makeTemporaryDirectory()
        defer { for path in [zero, one, work] + copies { try? FileManager.default.removeItem(atPath: path) } }

        let running = try BinaryRunner.start(["merge", zero, one, "--into", "\(work)/merged"], environment: harness.baseEnvironment, directory: work)
        let pid = running.pid
        let catalog = "\(work)/merged/scraping_logs.json"
        // Strike once a good part of the first source is in.
        let struck = await whenTrue({ ((try? FileManager.default.attributesOfItem(atPath: catalog)[.size] as? Int) ?? 0) > 2_000_000 }) {
            kill(pid, SIGKILL)
        }
        #expect(struck)
        let killed = await running.finish()
        #expect(killed.status == SIGKILL, "the merge ended before the strike: \(killed.out)")

        let again = try await BinaryRunner.run(["merge", zero, one, "--into", "\(work)/merged"], environment: harness.baseEnvironment, directory: work)
        #expect(again.status == 0, "\(again.out)\(again.err)")
        let reference = try await BinaryRunner.run(
            ["merge"] + copies + ["--into", "\(work)/reference"], environment: harness.baseEnvironment, directory: work)
        #expect(reference.status == 0)

        let merged = try #require(try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: catalog))).objectValue)
        let expected = try #require(try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(work)/reference/scraping_logs.json"))).objectValue)
        #expect(merged.count == 80_004)
        #expect(merged == expected)
        for id in ["q6i58", "XyZ12ab", "AbC12de", "MixAll7"] {
            #expect(filesBelow("\(work)/merged/\(id)") == filesBelow("\(work)/reference/\(id)"))
            for file in filesBelow("\(work)/reference/\(id)") {
                #expect(
                    FileManager.default.contents(atPath: "\(work)/merged/\(id)/\(file)")
                        == FileManager.default.contents(atPath: "\(work)/reference/\(id)/\(file)"), "\(id)/\(file)")
            }
        }
        let verify = try await BinaryRunner.run(["verify"], environment: harness.baseEnvironment, directory: "\(work)/merged")
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
    }
}
