import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File operations by path, for places the user owns and names (the storage directory itself, the
/// XDG configuration folder). Inside the storage directory everything goes through `Directory`.
public enum FileSystem {
    /// Writes `data` to `path` atomically (`Directory.writeAtomically` in its folder).
    public static func writeAtomically(
        _ data: Data, to path: String, durable: Bool = true, mode: mode_t = 0o644
    ) throws(FileError) {
        let folder = (path as NSString).deletingLastPathComponent
        let directory: Directory
        do {
            directory = try Directory.open(folder.isEmpty ? "." : folder)
        } catch {
            // The message names the file being written.
            throw error.renamed(to: path).asWrite
        }
        try directory.writeAtomically(data, to: (path as NSString).lastPathComponent, durable: durable, mode: mode)
    }

    /// Creates `path` (0700 when `private`) and its missing parents.
    public static func createDirectories(_ path: String, mode: mode_t = 0o755) throws(FileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/\(component)"
            if mkdir(current, mode) != 0 && errno != EEXIST { throw .write(current, errno: errno) }
        }
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The size of a regular file, nil when there is none.
    public static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The permission bits of `path` (nil when it cannot be looked at).
    public static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Reads a whole small file (credentials, links.txt).
    public static func read(_ path: String, limit: Int = 256 << 20) throws(FileError) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .read(path, errno: errno) }
        defer { close(descriptor) }
        return try readAll(descriptor, path: path, limit: limit)
    }

    /// Everything `descriptor` holds, refusing more than `limit` bytes.
    static func readAll(_ descriptor: Int32, path: String, limit: Int) throws(FileError) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .read(path, errno: errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
            guard data.count <= limit else { throw .read(path: path, reason: "larger than \(limit) bytes") }
        }
    }
}

extension FileError {
    /// A failure to open the folder of a file being written, told as a write error.
    var asWrite: FileError {
        if case .read(let path, let reason) = self { return .write(path: path, reason: reason) }
        return self
    }
}
