#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file line by line through one fixed buffer, so memory stays flat however long the file
/// (the catalog at 100,000 albums, a links.txt of any length).
public struct LineReader {
    /// One line, without its `\n`, and where it starts in the file.
    public struct Line {
        public var bytes: UnsafeBufferPointer<UInt8>
        public var offset: Int64
        /// False only for a last line that the file does not end with `\n`.
        public var terminated: Bool
    }

    public let path: String
    private let directory: Directory?

    /// Reads `path` (a file the user named).
    public init(path: String) {
        self.path = path
        directory = nil
    }

    /// Reads `name` in `directory`, not following a symlink.
    public init(_ directory: Directory, _ name: String) {
        self.directory = directory
        path = directory.path(name)
        self.name = name
    }

    private var name = ""

    private func open() throws(FileError) -> Int32 {
        if let directory { return try directory.openForReading(name) }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .read(path, errno: errno) }
        return descriptor
    }

    /// Calls `body` for every line; `body` returns false to stop early.
    /// - Throws: `FileError.read` when the file cannot be read, or what `body` throws.
    public func forEachLine(_ body: (Line) throws(FileError) -> Bool) throws(FileError) {
        let descriptor = try open()
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var filled = 0
        var bufferOffset: Int64 = 0  // file offset of buffer[0]
        while true {
            if filled == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let count = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + filled, raw.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .read(path, errno: errno)
            }
            let atEnd = count == 0
            filled += count
            var consumed = 0
            var keepGoing = true
            try buffer.withUnsafeBufferPointer { (all) throws(FileError) in
                var start = 0
                var index = 0
                while keepGoing && index < filled {
                    if all[index] == 0x0A {
                        let line = Line(
                            bytes: UnsafeBufferPointer(rebasing: all[start..<index]),
                            offset: bufferOffset + Int64(start), terminated: true)
                        keepGoing = try body(line)
                        start = index + 1
                    }
                    index += 1
                }
                if atEnd && keepGoing && start < filled {
                    let line = Line(
                        bytes: UnsafeBufferPointer(rebasing: all[start..<filled]),
                        offset: bufferOffset + Int64(start), terminated: false)
                    keepGoing = try body(line)
                    start = filled
                }
                consumed = start
            }
            if atEnd || !keepGoing { return }
            // Keep the unfinished line at the front of the buffer.
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    let base = raw.baseAddress!
                    memmove(base, base + consumed, filled - consumed)
                }
                filled -= consumed
                bufferOffset += Int64(consumed)
            }
        }
    }
}
