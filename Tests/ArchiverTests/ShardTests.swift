import TestSupport
import Testing

@testable import Archiver
@testable import ImgurAPI

/// `--shard K/N`: a stable hash of the id (docs/scale-out.md, "Shards").
@Suite struct ShardTests {
    /// The table docs/scale-out.md gives: these must never change, or shards of one backlog made
    /// by two versions would overlap and leave gaps.
    @Test(arguments: [
        ("q6i58", 0x7dd7_4803_5709_db88 as UInt64, 0, 0, 8),
        ("XyZ12ab", 0xf2a2_5fad_88ec_4b4c, 0, 4, 12),
        ("AbC12de", 0xbd0f_852a_5f95_21af, 3, 7, 15),
        ("MixAll7", 0x495e_d29a_d674_811d, 1, 5, 13),
        ("Gone404", 0xf152_bf83_e75a_258a, 2, 2, 10),
    ])
    func theHashIsFNV1aOfTheIdAndNeverChanges(id: String, hash: UInt64, of4: Int, of8: Int, of16: Int) throws {
        let imgurID = try #require(ImgurID(id))
        #expect(Shard.fnv1a(id) == hash)
        #expect(Shard.of(imgurID, count: 4) == of4)
        #expect(Shard.of(imgurID, count: 8) == of8)
        #expect(Shard.of(imgurID, count: 16) == of16)
    }

    @Test(arguments: [1, 2, 3, 4, 7, 16])
    func everyIdIsInExactlyOneShard(count: Int) throws {
        var generator = SeededGenerator(seed: 42)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let ids = (0..<10_000).map { index in
            ImgurID(String((0..<(index % 2 == 0 ? 5 : 7)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))!
        }
        let shards = (0..<count).map { Shard(index: $0, count: count)! }
        for id in ids { #expect(shards.filter { $0.contains(id) }.count == 1, "\(id)") }
        // Spread: no shard holds more than twice its share.
        for shard in shards { #expect(ids.filter(shard.contains).count < 2 * ids.count / count + 50) }
    }

    @Test func shardsAreWrittenKSlashN() {
        #expect(Shard("2/8") == Shard(index: 2, count: 8))
        #expect(Shard("0/1") != nil)
        for bad in ["8/8", "-1/4", "1/0", "1", "a/b", "1/2/3", ""] { #expect(Shard(bad) == nil, "\(bad)") }
    }
}
