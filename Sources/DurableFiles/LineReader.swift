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
        /// The line was longer than the reader's `maxLength`: `bytes` are only its beginning.
        public var truncated = false
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
    /// - Parameter maxLength: a longer line is handed over as its first `maxLength` bytes, marked
    ///   `truncated`, and the rest of it is skipped without being kept: memory stays bounded
    ///   whatever the file holds (a 200 MB line in links.txt).
    /// - Throws: `FileError.read` when the file cannot be read, or what `body` throws.
    public func forEachLine(maxLength: Int = 64 << 20, _ body: (Line) throws(FileError) -> Bool) throws(FileError) {
        let descriptor = try open()
        defer { close(descriptor) }
        let maxLength = max(1, maxLength)
        var buffer = [UInt8](repeating: 0, count: min(1 << 20, maxLength + 1))
        var filled = 0
        var bufferOffset: Int64 = 0  // file offset of buffer[0]
        /// Inside a line already handed over as truncated: everything up to its end is dropped.
        var skipping = false
        while true {
            if filled == buffer.count {
                if filled > maxLength {
                    // The unfinished line at the front is too long: hand over its start, drop the rest.
                    if !skipping {
                        let keepGoing = try buffer.withUnsafeBufferPointer { (all) throws(FileError) in
                            var line = Line(
                                bytes: UnsafeBufferPointer(rebasing: all[0..<maxLength]), offset: bufferOffset,
                                terminated: false)
                            line.truncated = true
                            return try body(line)
                        }
                        if !keepGoing { return }
                    }
                    skipping = true
                    bufferOffset += Int64(filled)
                    filled = 0
                } else {
                    buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, maxLength + 1 - buffer.count)))
                }
            }
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
                        if skipping {
                            skipping = false
                        } else {
                            var line = Line(
                                bytes: UnsafeBufferPointer(rebasing: all[start..<min(index, start + maxLength)]),
                                offset: bufferOffset + Int64(start), terminated: true)
                            line.truncated = index - start > maxLength
                            keepGoing = try body(line)
                        }
                        start = index + 1
                    }
                    index += 1
                }
                if skipping {
                    // Still inside the long line: none of this is kept.
                    start = filled
                } else if atEnd && keepGoing && start < filled {
                    var line = Line(
                        bytes: UnsafeBufferPointer(rebasing: all[start..<min(filled, start + maxLength)]),
                        offset: bufferOffset + Int64(start), terminated: false)
                    line.truncated = filled - start > maxLength
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
