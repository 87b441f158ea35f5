#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What can go wrong with a file, naming the path and the cause (`ENOSPC`, `EACCES`, ...).
public enum FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Reading failed, or the file is not what it should be (too large, not a regular file).
    case read(path: String, reason: String)
    /// Writing failed: disk full, permissions, I/O error.
    case write(path: String, reason: String)
    /// Another process holds the lock of `path`.
    case locked(path: String, pid: Int32?)
    /// Something in the storage directory that is not what we write there (a symlink, a FIFO): refused.
    case unsafe(path: String, reason: String)

    public var description: String {
        switch self {
        case .read(let path, let reason): "cannot read \(path): \(reason)"
        case .write(let path, let reason): "cannot write \(path): \(reason)"
        case .locked(let path, let pid):
            "\(pid.map { "another imgur-archive run (pid \($0))" } ?? "another imgur-archive run") is using \(path); "
                + "try again when it has finished, or pass --wait"
        case .unsafe(let path, let reason): "\(path) \(reason)"
        }
    }

    /// `.write` from an `errno` value.
    public static func write(_ path: String, errno code: Int32) -> FileError {
        .write(path: path, reason: String(cString: strerror(code)))
    }

    /// `.read` from an `errno` value.
    public static func read(_ path: String, errno code: Int32) -> FileError {
        .read(path: path, reason: String(cString: strerror(code)))
    }

    /// The path the error is about.
    public var path: String {
        switch self {
        case .read(let path, _), .write(let path, _), .locked(let path, _), .unsafe(let path, _): path
        }
    }
}
