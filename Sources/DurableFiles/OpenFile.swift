import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor for writing, whose errors name the file.
public final class OpenFile: @unchecked Sendable {
    // Used by one owner at a time (a download's sink, or the catalog under its lock).
    public let path: String
    private var descriptor: Int32

    /// An open descriptor (from `Directory`), owned from now on.
    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Creates (or, unless `exclusive`, truncates) `path`. A new file gets `mode` (less the umask):
    /// 0600 for anything holding a secret (tokens, deletehashes).
    public init(creating path: String, exclusive: Bool = false, mode: mode_t = 0o644) throws(FileError) {
        self.path = path
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        descriptor = open(path, flags, mode)
        guard descriptor >= 0 else { throw .write(path, errno: errno) }
    }

    /// Opens an existing or new file for writing at its end (resuming a partial download), or for
    /// positioned writes (the catalog).
    public init(appendingTo path: String, mode: mode_t = 0o644) throws(FileError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw .write(path, errno: errno) }
        guard lseek(descriptor, 0, SEEK_END) >= 0 else { throw .write(path, errno: errno) }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    public func write(_ data: Data) throws(FileError) {
        let failure: Int32? = data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return nil }
            return Self.writeAll(descriptor, base, bytes.count)
        }
        if let failure { throw .write(path, errno: failure) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        guard let base = bytes.baseAddress else { return }
        if let failure = Self.writeAll(descriptor, base, bytes.count) { throw .write(path, errno: failure) }
    }

    /// Writes at `offset` without moving the file position (the catalog's tail).
    public func write(_ data: Data, at offset: Int64) throws(FileError) {
        let failure: Int32? = data.withUnsafeBytes { bytes in
            guard var base = bytes.baseAddress else { return nil }
            var remaining = bytes.count
            var position = off_t(offset)
            while remaining > 0 {
                let written = pwrite(descriptor, base, remaining, position)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                remaining -= written
                position += off_t(written)
                base += written
            }
            return nil
        }
        if let failure { throw .write(path, errno: failure) }
    }

    public func truncate(to length: Int64) throws(FileError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw .write(path, errno: errno) }
        guard lseek(descriptor, off_t(length), SEEK_SET) >= 0 else { throw .write(path, errno: errno) }
    }

    /// Asks the kernel to start writing `count` bytes at `offset` to disk now, without waiting,
    /// and to drop them from the page cache once they are clean: the final flush then has little
    /// left to wait for, and an archive run does not fill memory with pages it never reads again.
    /// (On Linux POSIX_FADV_DONTNEED starts writeback of dirty pages; elsewhere it is a hint.)
    public func startWriteback(offset: Int64, count: Int) {
        _ = posix_fadvise(descriptor, off_t(offset), off_t(count), POSIX_FADV_DONTNEED)
    }

    /// Takes this process's exclusive `flock` on the file, without waiting.
    /// - Throws: `FileError.locked` when another process holds it.
    public func lockExclusively() throws(FileError) {
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { throw .locked(path: path, pid: nil) }
            throw .write(path, errno: errno)
        }
    }

    /// The file's size now (-1 when it cannot be looked at).
    public var size: Int64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? Int64(info.st_size) : -1
    }

    /// The device and inode, to tell whether a name still refers to this file.
    var identity: (dev_t, ino_t)? {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? (info.st_dev, info.st_ino) : nil
    }

    /// Up to `count` bytes from `offset` (of a file opened with `Directory.openForAppending`).
    public func read(from offset: Int64, count: Int) throws(FileError) -> Data {
        var data = Data(count: count)
        let read = data.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        guard read >= 0 else { throw .read(path, errno: errno) }
        return data.prefix(read)
    }

    /// Reads up to `buffer.count` bytes from `offset` into `buffer` (no allocation): how many came, 0 at the end.
    public func read(from offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        while true {
            let read = pread(descriptor, base, buffer.count, off_t(offset))
            if read >= 0 { return read }
            if errno != EINTR { throw .read(path, errno: errno) }
        }
    }

    /// Makes what was written durable.
    public func sync() throws(FileError) {
        guard fsync(descriptor) == 0 else { throw .write(path, errno: errno) }
    }

    public func close() throws(FileError) {
        guard descriptor >= 0 else { return }
        let result = Glibc.close(descriptor)
        descriptor = -1
        // A failed close can be where a delayed write error (NFS, quota) finally shows.
        guard result == 0 else { throw .write(path, errno: errno) }
    }

    /// nil, or the errno that stopped the write.
    private static func writeAll(_ descriptor: Int32, _ start: UnsafeRawPointer, _ count: Int) -> Int32? {
        var base = start
        var remaining = count
        while remaining > 0 {
            let written = Glibc.write(descriptor, base, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            remaining -= written
            base += written
        }
        return nil
    }
}
