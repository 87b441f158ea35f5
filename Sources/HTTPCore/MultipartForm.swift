import DurableFiles
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `multipart/form-data` body written to a file, so that it is sent streamed from disk with a
/// `Content-Length` (`HTTPBody.file`): the one way FoundationNetworking uploads a large body without
/// holding it in memory or sending it chunked (docs/urlsession-linux.md §7).
public enum MultipartForm {
    public enum Part: Sendable, Equatable {
        case field(name: String, value: String)
        /// A file part whose bytes are copied from `path` in 1 MiB pieces.
        case file(name: String, path: String, fileName: String, contentType: String)
    }

    /// Writes `parts` to a new file at `path` (0600: it may hold what a user has not published)
    /// and returns the body that sends it. The boundary is 16 random bytes; should it occur in a
    /// file part, the body is written again with another one.
    /// - Throws: `FileError` when a part cannot be read or the body cannot be written.
    public static func write(_ parts: [Part], to path: String) throws(FileError) -> HTTPBody {
        while true {
            let boundary = "imgur-archive-" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            if try write(parts, to: path, boundary: boundary) {
                return .file(path: path, contentType: "multipart/form-data; boundary=\(boundary)")
            }
        }
    }

    /// False when the boundary turned up inside a file part (the file is then removed).
    static func write(_ parts: [Part], to path: String, boundary: String) throws(FileError) -> Bool {
        let output = try OpenFile(creating: path, mode: 0o600)
        do {
            for part in parts {
                switch part {
                case .field(let name, let value):
                    try output.write(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(quoted(name))\"\r\n\r\n".utf8))
                    try output.write(Data(value.utf8))
                    try output.write(Data("\r\n".utf8))
                case .file(let name, let source, let fileName, let contentType):
                    try output.write(Data(
                        ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(quoted(name))\"; "
                            + "filename=\"\(quoted(fileName))\"\r\nContent-Type: \(contentType)\r\n\r\n").utf8))
                    guard try copy(source, into: output, watchingFor: Array("--\(boundary)".utf8)) else {
                        try? output.close()
                        unlink(path)
                        return false
                    }
                    try output.write(Data("\r\n".utf8))
                }
            }
            try output.write(Data("--\(boundary)--\r\n".utf8))
            try output.close()
            return true
        } catch {
            try? output.close()
            unlink(path)
            throw error
        }
    }

    /// Copies the file at `source` into `output`; false when `marker` occurs in it.
    private static func copy(_ source: String, into output: OpenFile, watchingFor marker: [UInt8]) throws(FileError)
        -> Bool
    {
        let descriptor = open(source, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .read(source, errno: errno) }
        defer { close(descriptor) }
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        // The last bytes of the previous piece, so that a marker split across two pieces is found.
        var tail: [UInt8] = []
        while true {
            let count = read(descriptor, buffer.baseAddress, size)
            if count < 0 {
                if errno == EINTR { continue }
                throw .read(source, errno: errno)
            }
            if count == 0 { return true }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            let seam = tail + Array(piece.prefix(marker.count - 1))
            if seam.withUnsafeBytes({ contains(marker, in: $0) }) || contains(marker, in: piece) {
                return false
            }
            try output.write(piece)
            tail = Array(piece.suffix(marker.count - 1))
        }
    }

    private static func contains(_ marker: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= marker.count else { return false }
        guard let base = bytes.baseAddress, let first = marker.first else { return false }
        var offset = 0
        let last = bytes.count - marker.count
        while offset <= last {
            // memchr jumps to the next candidate; memcmp checks it (memmem is a GNU extension).
            guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
            let position = base.distance(to: UnsafeRawPointer(hit))
            if marker.withUnsafeBytes({ memcmp(base + position, $0.baseAddress!, marker.count) }) == 0 { return true }
            offset = position + 1
        }
        return false
    }

    /// A name or file name inside a quoted header parameter: quotes and line breaks cannot end it.
    private static func quoted(_ text: String) -> String {
        String(text.unicodeScalars.map { "\"\r\n\\".unicodeScalars.contains($0) ? "_" : Character($0) })
    }
}
