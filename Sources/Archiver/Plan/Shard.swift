import ImgurAPI

/// Shard `index` of `count`: the entries whose id hashes to it (docs/scale-out.md, "Shards").
///
/// The hash is 64-bit FNV-1a over the id's UTF-8 bytes, taken modulo `count`: defined here, the
/// same on every machine and in every version (the table in docs/scale-out.md is checked by a
/// test), so shard K of a backlog is always the same albums wherever it runs.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, (0..<count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// `K/N`.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    public func contains(_ id: ImgurID) -> Bool { Self.of(id, count: count) == index }

    /// The shard of `id` among `count`.
    public static func of(_ id: ImgurID, count: Int) -> Int { Int(fnv1a(id.rawValue) % UInt64(count)) }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
