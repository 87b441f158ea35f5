import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One run at a time per storage directory: an `flock` on `.imgur-archive.lock`, released by the
/// kernel when the process ends, however it ends (kill -9 included), so a stale lock cannot exist.
/// The file holds the pid of the run that has it, for the message of the run that does not.
public final class RunLock: Sendable {
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// - Parameter wait: block until the other run has finished instead of failing.
    /// - Throws: `FileError.locked` naming the other run's pid, or `.write` when the lock file
    ///   cannot be created.
    public static func acquire(_ path: String, wait: Bool, onWait: () -> Void = {}) throws(FileError) -> RunLock {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .write(path, errno: errno) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                close(descriptor)
                throw .write(path, errno: code)
            }
            guard wait else {
                let holder = pid(in: descriptor)
                close(descriptor)
                throw .locked(path: (path as NSString).deletingLastPathComponent, pid: holder)
            }
            onWait()
            while flock(descriptor, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let failure = errno
                    close(descriptor)
                    throw .write(path, errno: failure)
                }
            }
            break
        }
        let text = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return RunLock(path: path, descriptor: descriptor)
    }

    private static func pid(in descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
