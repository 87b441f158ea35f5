import Foundation
import TestSupport
import Testing

@testable import ExactJSON

/// A real Slurm job array (docs/scale-out.md): four tasks archive their shards of one backlog from
/// the loopback fake, `merge` brings them together, and the result is byte for byte what one
/// machine archiving the backlog makes. Runs where a cluster is up: `.ci/run` starts one with
/// `scripts/slurm-cluster` and names its directory in IMGUR_ARCHIVE_SLURM_DIR.
@Suite struct ScaleOutTests {
    static let cluster = ProcessInfo.processInfo.environment["IMGUR_ARCHIVE_SLURM_DIR"]

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    @Test(.enabled(if: cluster != nil, "needs a Slurm cluster: IMGUR_ARCHIVE_SLURM_DIR (scripts/slurm-cluster start)"))
    func aFourTaskSlurmArrayMergesIntoWhatOneMachineMakes() async throws {
        let harness = try ArchiveFixture()
        var links = ""
        for index in 0..<40 {
            let id = String(format: "Slm%04d", index)
            harness.imgur.add(
                FakeAlbum(id: id, title: "album \(index)", media: [
                    FakeMedia(id: String(format: "S%03dAAA", index), size: 3_000 + index, description: "first of \(index)"),
                    FakeMedia(id: String(format: "S%03dBBB", index), ext: "png", size: 2_000 + index),
                ]))
            links += "https://imgur.com/a/\(id)\n"
        }
        try harness.write(links, to: "backlog.txt")
        var environment = harness.baseEnvironment
        environment["SOURCE_DATE_EPOCH"] = "1790000000"
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        environment["SLURM_CONF"] = ProcessInfo.processInfo.environment["SLURM_CONF"] ?? "\(Self.cluster!)/slurm.conf"
        environment["BACKLOG"] = harness.path("backlog.txt")
        environment["SHARDS_DIR"] = harness.path("shards")
        environment["IMGUR_ARCHIVE"] = BinaryRunner.executable

        let started = ContinuousClock.now
        let array = try ChildProcess(
            "\(Self.repository)/scripts/slurm-cluster", ["run-array", Self.cluster!, "4", "\(Self.repository)/scripts/scale-out-task"],
            environment: environment, directory: harness.directory)
        let arrayStatus = await array.finish()
        let arrayTime = ContinuousClock.now - started
        #expect(arrayStatus.status == 0, "\(arrayStatus.out)\(arrayStatus.err)")

        let shards = (0..<4).map { harness.path("shards/task-\($0)") }
        var kept: [Int] = []
        for shard in shards {
            let catalog = try #require(try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: "\(shard)/scraping_logs.json"))).objectValue)
            kept.append(catalog.count)
        }
        #expect(kept.reduce(0, +) == 40, "every album in exactly one shard: \(kept)")

        let merged = try await BinaryRunner.run(["merge"] + shards + ["--into", harness.path("merged")], environment: environment, directory: harness.directory)
        #expect(merged.status == 0, "\(merged.out)\(merged.err)")
        let verify = try await BinaryRunner.run(["verify"], environment: environment, directory: harness.path("merged"))
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")

        try FileManager.default.createDirectory(atPath: harness.path("single"), withIntermediateDirectories: true)
        let singleStart = ContinuousClock.now
        let single = try await BinaryRunner.run(["-i", harness.path("backlog.txt")], environment: environment, directory: harness.path("single"))
        let singleTime = ContinuousClock.now - singleStart
        #expect(single.status == 0)

        let mergedCatalog = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: harness.path("merged/scraping_logs.json")))).objectValue
        let singleCatalog = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: harness.path("single/scraping_logs.json")))).objectValue
        #expect(mergedCatalog == singleCatalog)
        for index in 0..<40 {
            let id = String(format: "Slm%04d", index)
            let files = filesBelow(harness.path("single/\(id)"))
            #expect(filesBelow(harness.path("merged/\(id)")) == files)
            for file in files {
                #expect(harness.data("merged/\(id)/\(file)") == harness.data("single/\(id)/\(file)"), "\(id)/\(file)")
            }
        }
        print("slurm array of 4 tasks (with sbatch and scheduling): \(arrayTime); one machine, one run: \(singleTime); shards \(kept)")
    }
}
