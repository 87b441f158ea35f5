import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The file operations the archive needs, on POSIX calls so that every failure names its path and
/// its cause (`ENOSPC`, `EACCES`, ...), and so that durability (`fsync`) is explicit.
public enum FileSystem {
    /// Writes `data` to `path` so that a reader or a crash only ever sees the old file or the new
    /// one: a temporary file in the same folder, flushed, renamed over the target, folder flushed.
    /// - Parameter durable: false skips the flushes, for hints whose loss costs nothing (a crash of
    ///   the process still sees the new file; only a power cut may lose it).
    /// - Parameter mode: the new file's permissions (0600 for secrets), set before any byte is written.
    public static func writeAtomically(
        _ data: Data, to path: String, durable: Bool = true, mode: mode_t = 0o644
    ) throws(FileError) {
        try writeAtomically([(data, path)], durable: durable, mode: mode)
    }

    /// Several files of one folder, each written atomically, renamed in the order given (a crash
    /// leaves a prefix of them new), with one flush of the folder at the end.
    public static func writeAtomically(
        _ files: [(Data, String)], durable: Bool = true, mode: mode_t = 0o644
    ) throws(FileError) {
        var staged: [(temporary: String, path: String)] = []
        do throws(FileError) {
            for (data, path) in files { staged.append((try stage(data, for: path, durable: durable, mode: mode), path)) }
            for (temporary, path) in staged {
                guard rename(temporary, path) == 0 else { throw FileError.write(path, errno: errno) }
            }
        } catch {
            for (temporary, _) in staged { unlink(temporary) }
            throw error
        }
        if durable, let first = files.first { syncDirectory((first.1 as NSString).deletingLastPathComponent) }
    }

    /// Writes `data` to a new temporary file beside `path`, flushed when `durable`.
    private static func stage(_ data: Data, for path: String, durable: Bool, mode: mode_t) throws(FileError) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = "\(folder)/.\((path as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // Errors name the file being written, not its temporary name.
        func named(_ error: FileError) -> FileError {
            if case .write(_, let reason) = error { return .write(path: path, reason: reason) }
            return error
        }
        let file: OpenFile
        do {
            file = try OpenFile(creating: temporary, exclusive: true, mode: mode)
        } catch {
            throw named(error)
        }
        do {
            try file.write(data)
            if durable { try file.sync() }
            try file.close()
        } catch {
            try? file.close()
            unlink(temporary)
            throw named(error)
        }
        return temporary
    }

    /// Renames `source` over `target`. The source's data must already be flushed; the rename itself
    /// is atomic (old name or new name after a crash) and becomes durable with the next flush of
    /// the folder (the album's documents flush it).
    public static func moveIntoPlace(_ source: String, _ target: String) throws(FileError) {
        guard rename(source, target) == 0 else { throw .write(target, errno: errno) }
    }

    /// Flushes a folder's entries (a rename is only durable once its folder is).
    public static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Creates `path` (not its parents) unless it already is a folder.
    public static func createDirectory(_ path: String) throws(FileError) {
        if mkdir(path, 0o755) == 0 {
            syncDirectory((path as NSString).deletingLastPathComponent)
            return
        }
        let code = errno
        guard code == EEXIST, isDirectory(path) else { throw .write(path, errno: code) }
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

    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Reads a whole small file (JSON documents, links.txt).
    public static func read(_ path: String, limit: Int = 256 << 20) throws(FileError) -> Data {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .read(path, errno: errno) }
        defer { close(descriptor) }
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

    /// Names in a folder, without `.` and `..`; empty when it cannot be read.
    public static func contents(of path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }
}
