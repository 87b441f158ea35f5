import Foundation
import TestSupport
import Testing

import CSHA256
@testable import DurableFiles
@testable import ExactJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Helpers

func randomBytes(_ count: Int, _ rng: inout SeededGenerator) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = rng.next()
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return out
}

/// Random chunk lengths summing to `count`, biased towards sizes around the
/// 64-byte block boundary and including empty chunks.
func randomSplit(_ count: Int, _ rng: inout SeededGenerator) -> [Int] {
    var parts: [Int] = []
    var left = count
    while left > 0 {
        let pick: Int
        switch rng.next() % 6 {
        case 0: pick = 0
        case 1: pick = Int(rng.next() % 8)
        case 2: pick = 63 + Int(rng.next() % 3)
        case 3: pick = Int(rng.next() % 200)
        case 4: pick = 64 * Int(1 + rng.next() % 40) + Int(rng.next() % 3)
        default: pick = Int(rng.next() % UInt64(max(1, left) + 1))
        }
        let n = min(pick, left)
        parts.append(n)
        left -= n
    }
    return parts
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

enum Impl: String, CaseIterable, CustomStringConvertible, Sendable {
    case portable, shani
    var c: csha256_impl { self == .portable ? CSHA256_IMPL_PORTABLE : CSHA256_IMPL_SHANI }
    var description: String { rawValue }
}

let shaniSupported = csha256_shani_supported() != 0

/// Hashes `bytes` fed in `chunks` with one specific C implementation.
func digest(_ bytes: [UInt8], chunks: [Int]? = nil, using impl: Impl) -> [UInt8] {
    var ctx = csha256_ctx()
    csha256_init(&ctx)
    bytes.withUnsafeBytes { raw in
        var offset = 0
        for n in chunks ?? [raw.count] {
            let rc = csha256_update_using(&ctx, raw.baseAddress.map { $0 + offset }, n, impl.c)
            precondition(rc == 0, "implementation \(impl) unavailable")
            offset += n
        }
        precondition(offset == raw.count)
    }
    var out = [UInt8](repeating: 0, count: 32)
    let rc = csha256_final_using(&ctx, &out, impl.c)
    precondition(rc == 0, "implementation \(impl) unavailable")
    return out
}

/// Hashes through the public Swift API, fed in `chunks`.
func digestViaAPI(_ bytes: [UInt8], chunks: [Int]) -> [UInt8] {
    var hasher = SHA256()
    var offset = 0
    for n in chunks {
        hasher.update(Array(bytes[offset..<(offset + n)]))
        offset += n
    }
    return hasher.finalize()
}

/// Straightforward, independent SHA-256 written directly from FIPS 180-4,
/// used as an oracle for the optimised C code.
func referenceSHA256(_ message: [UInt8]) -> [UInt8] {
    let k = referenceK
    var h: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]
    var padded = message
    padded.append(0x80)
    while padded.count % 64 != 56 { padded.append(0) }
    let bitLength = UInt64(message.count) &* 8
    for shift in stride(from: 56, through: 0, by: -8) {
        padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
    }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    for block in stride(from: 0, to: padded.count, by: 64) {
        var w = [UInt32](repeating: 0, count: 64)
        for t in 0..<16 {
            let p = block + 4 * t
            w[t] = UInt32(padded[p]) << 24 | UInt32(padded[p + 1]) << 16 | UInt32(padded[p + 2]) << 8 | UInt32(padded[p + 3])
        }
        for t in 16..<64 {
            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for t in 0..<64 {
            let bigS1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ bigS1 &+ ch &+ k[t] &+ w[t]
            let bigS0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = bigS0 &+ maj
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
        h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }
    return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
}

/// The round constants: the first 32 bits of the fractional parts of the cube
/// roots of the first 64 primes, computed here rather than copied from the C
/// table so the oracle is independent of it.
let referenceK: [UInt32] = {
    var primes: [Int] = []
    var n = 2
    while primes.count < 64 {
        if !primes.contains(where: { n % $0 == 0 }) { primes.append(n) }
        n += 1
    }
    return primes.map { p in
        // Integer cube root refinement in exact arithmetic: find the largest
        // x with x^3 <= p * 2^96, then keep the low 32 bits (fraction * 2^32).
        let target = UInt128(p) << 96
        var x = UInt128(pow(Double(p), 1.0 / 3.0) * 4_294_967_296.0)
        while x * x * x > target { x -= 1 }
        while (x + 1) * (x + 1) * (x + 1) <= target { x += 1 }
        return UInt32(truncatingIfNeeded: x)
    }
}()

// MARK: - Known answers

struct Vector: Sendable, CustomStringConvertible {
    let message: [UInt8]
    let hex: String
    let name: String
    init(_ name: String, _ message: [UInt8], _ hex: String) {
        self.name = name
        self.message = message
        self.hex = hex
    }
    init(_ text: String, _ hex: String) {
        self.init("\"\(text.prefix(20))\"", Array(text.utf8), hex)
    }
    var description: String { name }
}

let fipsVectors: [Vector] = [
    Vector("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    Vector("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    Vector(
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    Vector(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    // Padding edge cases around the 56- and 64-byte boundaries.
    Vector("a*55", Array(repeating: 0x61, count: 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
    Vector("a*56", Array(repeating: 0x61, count: 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
    Vector("a*57", Array(repeating: 0x61, count: 57), "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"),
    Vector("a*63", Array(repeating: 0x61, count: 63), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
    Vector("a*64", Array(repeating: 0x61, count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
    Vector("a*65", Array(repeating: 0x61, count: 65), "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
    Vector("a*119", Array(repeating: 0x61, count: 119), "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
    Vector("a*120", Array(repeating: 0x61, count: 120), "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
]

let millionA = [UInt8](repeating: 0x61, count: 1_000_000)
let millionAHex = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

@Suite struct KnownAnswerTests {
    @Test(arguments: fipsVectors)
    func publicAPI(_ v: Vector) {
        var hasher = SHA256()
        hasher.update(v.message)
        #expect(hasher.hexDigest() == v.hex)
        #expect(hex(hasher.finalize()) == v.hex)
        #expect(SHA256.hexDigest(of: Data(v.message)) == v.hex)
    }

    @Test(arguments: fipsVectors)
    func byteAtATime(_ v: Vector) {
        var hasher = SHA256()
        for byte in v.message { hasher.update([byte]) }
        #expect(hasher.hexDigest() == v.hex)
    }

    @Test(arguments: fipsVectors, Impl.allCases)
    func eachImplementation(_ v: Vector, _ impl: Impl) throws {
        try #require(impl == .portable || shaniSupported)
        #expect(hex(digest(v.message, using: impl)) == v.hex)
    }

    @Test(arguments: fipsVectors)
    func referenceOracle(_ v: Vector) {
        #expect(hex(referenceSHA256(v.message)) == v.hex)
    }

    /// One million "a" fed in chunks of a fixed (mostly odd) size.
    @Test(arguments: [1, 3, 7, 55, 63, 64, 65, 127, 1000, 4097, 65_537, 999_999, 1_000_000])
    func millionAInChunks(_ chunkSize: Int) {
        var hasher = SHA256()
        millionA.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = min(chunkSize, raw.count - offset)
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + n)]))
                offset += n
            }
        }
        #expect(hasher.hexDigest() == millionAHex)
    }

    @Test(arguments: Impl.allCases)
    func millionAEachImplementation(_ impl: Impl) throws {
        try #require(impl == .portable || shaniSupported)
        var rng = SeededGenerator(seed: 42)
        #expect(hex(digest(millionA, using: impl)) == millionAHex)
        #expect(hex(digest(millionA, chunks: randomSplit(millionA.count, &rng), using: impl)) == millionAHex)
    }
}

// MARK: - Cross-checks

@Suite struct CrossCheckTests {
    /// Every length 0...300: portable C, SHA-NI (when available), the public
    /// API with a random split, and the Swift oracle all agree.
    @Test func everyLengthUpTo300() {
        var rng = SeededGenerator(seed: 1)
        for length in 0...300 {
            let bytes = randomBytes(length, &rng)
            let expected = referenceSHA256(bytes)
            #expect(digest(bytes, using: .portable) == expected, "portable, length \(length)")
            #expect(digest(bytes, chunks: randomSplit(length, &rng), using: .portable) == expected, "portable split, length \(length)")
            if shaniSupported {
                #expect(digest(bytes, using: .shani) == expected, "SHA-NI, length \(length)")
                #expect(digest(bytes, chunks: randomSplit(length, &rng), using: .shani) == expected, "SHA-NI split, length \(length)")
            }
            #expect(digestViaAPI(bytes, chunks: randomSplit(length, &rng)) == expected, "API, length \(length)")
        }
    }

    @Test(.enabled(if: shaniSupported, "CPU lacks SHA-NI"),
          arguments: [1000, 4096, 65_536 + 13, 1 << 20, (1 << 20) + 7, 3_000_001])
    func largeInputsPortableVsSHANI(_ length: Int) async throws {
        try await onItsOwnThread { () throws in
            var rng = SeededGenerator(seed: UInt64(length))
            let bytes = randomBytes(length, &rng)
            let portable = digest(bytes, using: .portable)
            #expect(digest(bytes, using: .shani) == portable)
            for _ in 0..<3 {
                #expect(digest(bytes, chunks: randomSplit(length, &rng), using: .shani) == portable)
                #expect(digest(bytes, chunks: randomSplit(length, &rng), using: .portable) == portable)
            }
        }
    }

    @Test(arguments: [1000, 65_536 + 13, (1 << 20) + 7])
    func largeInputsAgainstOracle(_ length: Int) {
        var rng = SeededGenerator(seed: UInt64(length) &+ 99)
        let bytes = randomBytes(length, &rng)
        let expected = referenceSHA256(bytes)
        #expect(digest(bytes, using: .portable) == expected)
        #expect(digestViaAPI(bytes, chunks: randomSplit(length, &rng)) == expected)
    }

    @Test(.enabled(if: shaniSupported, "CPU lacks SHA-NI"))
    func randomLengthsAndSplits() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let length = Int(rng.next() % 20_000)
            let bytes = randomBytes(length, &rng)
            let portable = digest(bytes, chunks: randomSplit(length, &rng), using: .portable)
            #expect(digest(bytes, chunks: randomSplit(length, &rng), using: .shani) == portable, "length \(length)")
        }
    }

    @Test func unavailableImplementationIsRefused() {
        var ctx = csha256_ctx()
        csha256_init(&ctx)
        let rc = csha256_update_using(&ctx, nil, 0, CSHA256_IMPL_SHANI)
        #expect(rc == (shaniSupported ? 0 : -1))
    }
}

// MARK: - Streaming behaviour of the Swift API

@Suite struct StreamingTests {
    @Test(arguments: 0..<20)
    func chunkSplitInvariance(_ seed: Int) {
        var rng = SeededGenerator(seed: UInt64(1000 + seed))
        let length = Int(rng.next() % 5000)
        let bytes = randomBytes(length, &rng)
        let whole = SHA256.hexDigest(of: Data(bytes))

        var viaData = SHA256()
        var viaRaw = SHA256()
        var offset = 0
        for n in randomSplit(length, &rng) {
            // A Data slice with a non-zero startIndex.
            viaData.update(Data(bytes)[offset..<(offset + n)])
            bytes.withUnsafeBytes { viaRaw.update(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
            offset += n
        }
        #expect(viaData.hexDigest() == whole)
        #expect(viaRaw.hexDigest() == whole)
    }

    @Test func finalizeDoesNotMutate() {
        var hasher = SHA256()
        hasher.update(Array("ab".utf8))
        let first = hasher.finalize()
        #expect(hasher.finalize() == first)
        #expect(hex(first) == hex(referenceSHA256(Array("ab".utf8))))

        hasher.update(Array("c".utf8))
        #expect(hasher.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")

        // Across a block boundary, with a fork via copy.
        var long = SHA256()
        long.update([UInt8](repeating: 0x61, count: 60))
        _ = long.finalize()
        var fork = long
        long.update([UInt8](repeating: 0x61, count: 5))
        #expect(long.hexDigest() == "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0")
        fork.update([UInt8](repeating: 0x61, count: 4))
        #expect(fork.hexDigest() == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func emptyUpdatesAreNoOps() {
        var hasher = SHA256()
        hasher.update([])
        hasher.update(Data())
        hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(hasher.hexDigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func hexIsLowercase64Digits() {
        let hexString = SHA256().hexDigest()
        #expect(hexString.count == 64)
        #expect(hexString.allSatisfy { "0123456789abcdef".contains($0) })
    }

    /// Forcing the portable path is reflected by `isAccelerated`, and both
    /// settings give the same digests. (Other tests don't depend on the flag,
    /// since both paths produce identical results.)
    @Test func forcePortableToggle() {
        let bytes = randomBytesSeeded(10_000)
        let automatic = SHA256.hexDigest(of: Data(bytes))
        #expect(SHA256.isAccelerated == shaniSupported)
        csha256_force_portable(1)
        #expect(!SHA256.isAccelerated)
        let forced = SHA256.hexDigest(of: Data(bytes))
        csha256_force_portable(0)
        #expect(SHA256.isAccelerated == shaniSupported)
        #expect(forced == automatic)
    }

    func randomBytesSeeded(_ n: Int) -> [UInt8] {
        var rng = SeededGenerator(seed: 5)
        return randomBytes(n, &rng)
    }
}

// MARK: - Files

@Suite struct FileTests {
    func withTempFile<T>(_ contents: [UInt8], _ body: (String) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("sha256-test-\(UUID().uuidString).bin")
        try Data(contents).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url.path)
    }

    @Test(arguments: [
        (0, 1 << 20), (1, 1 << 20), (64, 64), (1000, 7), (100_000, 1),
        ((3 << 20) + 5, 1 << 20), ((3 << 20) + 5, 4096), ((3 << 20) + 5, 0), (5_000_000, 1 << 22),
    ])
    func fileMatchesInMemory(_ size: Int, _ bufferSize: Int) async throws {
        try await onItsOwnThread { () throws in
            var rng = SeededGenerator(seed: UInt64(size))
            let bytes = randomBytes(size, &rng)
            let expected = SHA256.hexDigest(of: Data(bytes))
            let result = try withTempFile(bytes) { path in
                try SHA256.hexDigest(ofFileAt: path, bufferSize: bufferSize)
            }
            #expect(result.hex == expected)
            #expect(result.bytes == Int64(size))
        }
    }

    @Test func defaultBufferSize() throws {
        let result = try withTempFile(millionA) { try SHA256.hexDigest(ofFileAt: $0) }
        #expect(result.hex == millionAHex)
        #expect(result.bytes == 1_000_000)
    }

    @Test func missingFileThrows() {
        let path = "/nonexistent-dir-\(UUID().uuidString)/file.bin"
        #expect(throws: FileError.read(path: path, reason: "No such file or directory")) {
            try SHA256.hexDigest(ofFileAt: path)
        }
        do {
            _ = try SHA256.hexDigest(ofFileAt: path)
            Issue.record("expected an error")
        } catch {
            #expect(error == FileError.read(path: path, reason: "No such file or directory"))
            #expect("\(error)" == "cannot read \(path): No such file or directory")
        }
    }

    #if os(Linux)
    @Test func directoryThrowsOnRead() {
        let path = FileManager.default.temporaryDirectory.path
        #expect(throws: FileError.read(path: path, reason: "Is a directory")) {
            try SHA256.hexDigest(ofFileAt: path)
        }
    }
    #endif
}
