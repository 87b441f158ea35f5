import Foundation

/// Records kept on disk instead of in memory while one album is archived (its answer, its media
/// records in album order): an unnamed file (`Directory.createUnnamed`), appended to through one
/// buffer, read back in order. Memory is the buffer, whatever the number of records; nothing is
/// left on disk however the process ends (docs/design.md, "One large album").
public final class Spool: @unchecked Sendable {
    // One owner at a time: the album's archiving task.
    private let file: OpenFile
    private var pending: [UInt8] = []
    private var written: Int64 = 0
    /// Records appended (lines, for `appendLine`).
    public private(set) var lineCount = 0

    private static let bufferSize = 1 << 20

    public init(in directory: Directory) throws(FileError) {
        file = try directory.createUnnamed()
        pending.reserveCapacity(Self.bufferSize)
    }

    /// Bytes appended so far.
    public var byteCount: Int64 { written + Int64(pending.count) }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        if pending.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try file.write(bytes)
            written += Int64(bytes.count)
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    /// One record: `bytes`, which hold no newline, then a newline.
    public func appendLine(_ bytes: [UInt8]) throws(FileError) {
        try write(bytes)
        if pending.count == Self.bufferSize { try flush() }
        pending.append(0x0A)
        lineCount += 1
    }

    private func write(_ bytes: [UInt8]) throws(FileError) {
        var failure: FileError?
        bytes.withUnsafeBytes { raw in
            do throws(FileError) { try append(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func flush() throws(FileError) {
        guard !pending.isEmpty else { return }
        var failure: FileError?
        pending.withUnsafeBytes { raw in
            do throws(FileError) { try file.write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
        written += Int64(pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    /// A reader of everything appended so far, from the start (each reader has its own position).
    public func reader() throws(FileError) -> Reader {
        try flush()
        return Reader(file: file, length: written)
    }

    /// The lines appended so far, from the first, each without its newline.
    /// - Parameter maxLength: a longer line is an error (`FileError.read`).
    public func lines(maxLength: Int = 64 << 20) throws(FileError) -> Lines {
        Lines(reader: try reader(), maxLength: maxLength)
    }

    /// Reads a spool's lines in order through one buffer.
    public struct Lines {
        private var reader: Reader
        private let maxLength: Int
        private var buffer = [UInt8](repeating: 0, count: 1 << 16)
        private var start = 0
        private var end = 0

        init(reader: Reader, maxLength: Int) {
            self.reader = reader
            self.maxLength = maxLength
        }

        /// The next line; nil after the last.
        public mutating func next() throws(FileError) -> Data? {
            while true {
                if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                    defer { start = newline + 1 }
                    return Data(buffer[start..<newline])
                }
                if start > 0 {
                    buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                    (start, end) = (0, end - start)
                }
                if end == buffer.count {
                    guard buffer.count <= maxLength else {
                        throw FileError.read(path: reader.file.path, reason: "a record longer than \(maxLength) bytes")
                    }
                    buffer.append(contentsOf: repeatElement(0, count: buffer.count))
                }
                var failure: FileError?
                let count = buffer.withUnsafeMutableBytes { raw -> Int in
                    do throws(FileError) { return try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...])) } catch {
                        failure = error
                        return 0
                    }
                }
                if let failure { throw failure }
                guard count > 0 else {
                    guard start == end else { throw FileError.read(path: reader.file.path, reason: "a record without its newline") }
                    return nil
                }
                end += count
            }
        }
    }

    /// Reads a spool from the start, piece by piece.
    public struct Reader {
        let file: OpenFile
        let length: Int64
        private var offset: Int64 = 0

        init(file: OpenFile, length: Int64) {
            self.file = file
            self.length = length
        }

        /// Fills `buffer` from where the last read ended: how many bytes came, 0 at the end.
        public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
            let wanted = Int(min(Int64(buffer.count), length - offset))
            guard wanted > 0 else { return 0 }
            let count = try file.read(from: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
            guard count > 0 else { throw FileError.read(path: file.path, reason: "ended before its \(length) bytes") }
            offset += Int64(count)
            return count
        }
    }
}
