import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One run at a time per storage directory: an `flock` on the storage directory itself, released by
/// the kernel when the process ends, however it ends (kill -9 included), so a stale lock cannot
/// exist. Locking the folder rather than a file in it means nothing in the folder can undo the lock
/// (a lock file deleted or replaced by a symlink during a run would let a second run in), and a
/// read-only archive can still be locked for reading.
///
/// `.imgur-archive.lock` holds the pid of the run that has the lock, for the message of the run that
/// does not; it is opened without following a symlink and only written when it can be.
public final class RunLock: Sendable {
    public static let pidFileName = ".imgur-archive.lock"

    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// - Parameters:
    ///   - shared: a reader's lock (`verify`): readers share it, a writer waits for all of them.
    ///   - wait: block until the other run has finished instead of failing.
    ///   - onWait: called once before blocking.
    ///   - shouldStop: checked while waiting; true gives up with `CancellationError` (SIGINT/SIGTERM).
    /// - Throws: `FileError.locked` naming the other run's pid, or `.read` when the folder cannot
    ///   be locked.
    public static func acquire(
        _ directory: Directory, shared: Bool = false, wait: Bool, onWait: () -> Void = {},
        shouldStop: () -> Bool = { false }
    ) throws -> RunLock {
        let descriptor = openat(directory.descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.read(directory.path, errno: errno) }
        let operation = shared ? LOCK_SH : LOCK_EX
        var waited = false
        while flock(descriptor, operation | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                close(descriptor)
                throw FileError.read(directory.path, errno: code)
            }
            guard wait else {
                let holder = pid(in: directory)
                close(descriptor)
                throw FileError.locked(path: directory.path, pid: holder)
            }
            if !waited {
                onWait()
                waited = true
            }
            // Polled, so that SIGINT and SIGTERM stop a waiting run at once (a blocking flock
            // would not return until the other run ends).
            if shouldStop() {
                close(descriptor)
                throw CancellationError()
            }
            usleep(50_000)
        }
        let lock = RunLock(path: directory.path, descriptor: descriptor)
        if !shared { writePID(in: directory) }
        return lock
    }

    /// The pid of the run holding the lock, as it wrote it.
    private static func pid(in directory: Directory) -> Int32? {
        guard let data = try? directory.read(pidFileName, limit: 64) else { return nil }
        return Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Best effort: a read-only folder, or a symlink planted in place of the file, only costs the
    /// pid in another run's message.
    private static func writePID(in directory: Directory) {
        guard let file = try? directory.create(pidFileName) else { return }
        try? file.write(Data("\(getpid())\n".utf8))
        try? file.close()
    }
}
