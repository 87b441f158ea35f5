import CSHA256

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming SHA-256 (FIPS 180-4).
///
/// A value type: copying a `SHA256` copies the hash state, so a partially fed
/// hasher can be forked. Large inputs are hashed straight from the caller's
/// memory; on x86_64 CPUs with the SHA extensions a hardware-accelerated path
/// is selected once at run time (see ``isAccelerated``).
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(chunk1)
/// hasher.update(chunk2)
/// let hex = hasher.hexDigest()
/// ```
public struct SHA256: Sendable {
    private var ctx: csha256_ctx

    /// The size of a digest in bytes (32).
    public static let digestByteCount = 32

    /// Creates a hasher for the empty message.
    public init() {
        ctx = csha256_ctx()
        csha256_init(&ctx)
    }

    /// Feeds raw bytes. Any chunk size is accepted, including empty buffers.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        csha256_update(&ctx, base, bytes.count)
    }

    /// Feeds the contents of `data`.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// Feeds the contents of `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the 32-byte digest of everything fed so far.
    ///
    /// Does not change `self`: more data can be fed afterwards and the next
    /// digest covers all of it.
    public func finalize() -> [UInt8] {
        var copy = ctx
        return [UInt8](unsafeUninitializedCapacity: Self.digestByteCount) { buffer, initialized in
            // The capacity is exactly 32, as csha256_final requires.
            if let base = buffer.baseAddress {
                csha256_final(&copy, base)
                initialized = Self.digestByteCount
            } else {
                initialized = 0
            }
        }
    }

    /// Returns the digest of everything fed so far as 64 lowercase hex digits.
    /// Does not change `self`.
    public func hexDigest() -> String {
        Self.hex(finalize())
    }

    /// Returns the lowercase hex SHA-256 digest of `data`.
    public static func hexDigest(of data: Data) -> String {
        var hasher = SHA256()
        hasher.update(data)
        return hasher.hexDigest()
    }

    /// `true` when hashing uses the x86 SHA extensions (SHA-NI) on this
    /// machine; `false` when the portable implementation is used.
    public static var isAccelerated: Bool {
        csha256_accelerated() != 0
    }

    /// How many of a file's first bytes `hashFile` keeps (enough for every media signature).
    public static let firstBytesKept = 16

    /// A file's digest state after hashing all of it.
    public struct FileHash: Sendable {
        /// The state over every byte of the file: `hexDigest()` is the file's digest, and more
        /// bytes can still be fed (a resumed download continues from here).
        public var hasher: SHA256
        public var bytes: Int64
        /// Up to the first 16 bytes of the file.
        public var firstBytes: [UInt8]
    }

    /// Hashes the file at `path`, streaming it with `read(2)` through a single
    /// reused buffer of `bufferSize` bytes, so memory use stays flat whatever
    /// the file size.
    ///
    /// - Throws: `FileError.read` when the file cannot be opened or read.
    /// - Parameter onChunk: called with the size of every piece read (progress display).
    public static func hashFile(
        atPath path: String, bufferSize: Int = 1 << 20, onChunk: (Int) -> Void = { _ in }
    ) throws(FileError) -> FileHash {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        if fd < 0 {
            throw .read(path, errno: errno)
        }
        defer { _ = close(fd) }
        return try hash(fd, path: path, bufferSize: bufferSize, onChunk: onChunk)
    }

    /// Hashes `name` in `directory`, not following a symlink.
    public static func hashFile(
        _ name: String, in directory: Directory, bufferSize: Int = 1 << 20, onChunk: (Int) -> Void = { _ in }
    ) throws(FileError) -> FileHash {
        let fd = try directory.openForReading(name)
        defer { _ = close(fd) }
        return try hash(fd, path: directory.path(name), bufferSize: bufferSize, onChunk: onChunk)
    }

    private static func hash(
        _ fd: Int32, path: String, bufferSize: Int, onChunk: (Int) -> Void
    ) throws(FileError) -> FileHash {
        let size = max(1, bufferSize)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }

        var hasher = SHA256()
        var total: Int64 = 0
        var firstBytes: [UInt8] = []
        while true {
            let n = read(fd, buffer, size)
            if n > 0 {
                let chunk = UnsafeRawBufferPointer(start: buffer, count: n)
                if firstBytes.count < Self.firstBytesKept {
                    firstBytes.append(contentsOf: chunk.prefix(Self.firstBytesKept - firstBytes.count))
                }
                hasher.update(chunk)
                total += Int64(n)
                onChunk(n)
            } else if n == 0 {
                break
            } else {
                let code = errno
                if code == EINTR { continue }
                throw .read(path, errno: code)
            }
        }
        return FileHash(hasher: hasher, bytes: total, firstBytes: firstBytes)
    }

    /// The lowercase hex digest of the file at `path` and its length.
    /// - Throws: `FileError.read` when the file cannot be opened or read.
    public static func hexDigest(ofFileAt path: String, bufferSize: Int = 1 << 20) throws(FileError)
        -> (hex: String, bytes: Int64)
    {
        let result = try hashFile(atPath: path, bufferSize: bufferSize)
        return (result.hasher.hexDigest(), result.bytes)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func hex(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2, initializingUTF8With: { out in
            var i = 0
            for byte in bytes {
                out[i] = hexDigits[Int(byte >> 4)]
                out[i + 1] = hexDigits[Int(byte & 0x0F)]
                i += 2
            }
            return i
        })
    }
}
