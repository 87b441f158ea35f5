import Foundation
import TestSupport
import Testing

@testable import Archiver
@testable import ImgurAPI
@testable import ImgurArchiveCLI

/// Which shard a run takes: the option, then `--no-shard`, then Slurm's variables, then a
/// Kubernetes Indexed Job's.
@Suite struct ShardChoiceTests {
    static func choose(_ arguments: [String] = [], _ environment: [String: String]) throws -> String? {
        var options = ArchiveOptions()
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case "--shard": options.shard = Shard(arguments[index + 1])
            case "--shards": options.shards = Int(arguments[index + 1])
            case "--no-shard": options.noShard = true
            default: continue
            }
        }
        return try ShardChoice.resolve(options, environment: environment).map { "\($0.0) \($0.source)" }
    }

    @Test func theOptionThenNoShardThenSlurmThenKubernetes() throws {
        let slurm = ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"]
        let kubernetes = ["JOB_COMPLETION_INDEX": "5", "IMGUR_ARCHIVE_SHARDS": "8"]
        #expect(try Self.choose([], [:]) == nil)
        #expect(try Self.choose(["--shard", "1/2"], slurm) == "1/2 --shard")
        #expect(try Self.choose(["--no-shard"], slurm.merging(kubernetes) { $1 }) == nil)
        #expect(try Self.choose([], slurm) == "3/4 Slurm array task 3")
        #expect(try Self.choose([], slurm.merging(kubernetes) { $1 }) == "3/8 Slurm array task 3", "a count given wins over the array size")
        #expect(try Self.choose([], kubernetes) == "5/8 Kubernetes completion index 5")
        #expect(try Self.choose(["--shards", "6"], kubernetes) == "5/6 Kubernetes completion index 5", "--shards wins over the variable")
        // The count from max when Slurm gives no count; the count given wins over the array's size.
        #expect(try Self.choose([], ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3"]) == "2/4 Slurm array task 2")
        // A rerun of one index (sbatch --array=5) with the count: shard 5 of 16, not everything.
        #expect(try Self.choose([], ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_COUNT": "1", "IMGUR_ARCHIVE_SHARDS": "16"]) == "5/16 Slurm array task 5")
    }

    @Test func whatCannotBeAShardIsAUsageError() {
        #expect(throws: CommandError.self) { try Self.choose([], ["JOB_COMPLETION_INDEX": "2"]) }
        #expect(throws: CommandError.self) { try Self.choose([], ["JOB_COMPLETION_INDEX": "8", "IMGUR_ARCHIVE_SHARDS": "8"]) }
        // --array=0-10:5 gives tasks 0, 5, 10: 3 tasks, but ids up to 10.
        #expect(throws: CommandError.self) {
            try Self.choose([], ["SLURM_ARRAY_TASK_ID": "10", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "3"])
        }
        #expect(throws: CommandError.self) { try Self.choose([], ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"]) }
        // A rerun of one index without the count would take the whole backlog: refused.
        #expect(throws: CommandError.self) {
            try Self.choose([], ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "5", "SLURM_ARRAY_TASK_COUNT": "1"])
        }
        #expect(throws: CommandError.self) { try Self.choose(["--shards", "4"], [:]) }
    }

    /// Shards of links.txt and of an account's walk: the union is everything, each entry once.
    @Test func theShardsOfAListAndOfAnAccountCoverItOnce() async throws {
        var ids: [String] = []
        let harness = try Harness()
        for index in 0..<12 {
            let id = String(format: "Shd%04d", index)
            ids.append(id)
            harness.imgur.add(FakeAlbum(id: id, media: [FakeMedia(id: String(format: "Med%04d", index), size: 500)]))
        }
        harness.imgur.add(FakeAccount(name: "walker", submissions: [], albums: Array(ids[6...]), pageSize: 50))
        try harness.write(ids[..<6].joined(separator: "\n") + "\n", to: "links.txt")
        var seen: [String] = []
        for k in 0..<3 {
            let directory = try Harness.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try FileManager.default.copyItem(atPath: harness.path("links.txt"), toPath: "\(directory)/links.txt")
            let list = await harness.run(["-C", directory, "--shard", "\(k)/3"])
            #expect(list.status == .success, "\(list.out)\(list.err)")
            #expect(list.out.contains("shard            \(k)/3  --shard: kept "), "\(list.out)")
            let walk = await harness.run(["-C", directory, "--shard", "\(k)/3", "user", "walker"])
            #expect(walk.status == .success, "OUT \(walk.out) ERR \(walk.err)")
            let catalog = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/scraping_logs.json"))) as? [String: Any])
            for id in catalog.keys { #expect(Shard.of(ImgurID(id)!, count: 3) == k) }
            seen += catalog.keys
        }
        #expect(seen.sorted() == ids.sorted())
    }
}
