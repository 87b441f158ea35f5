import Foundation
import Glibc

extension LoopbackServer {
    /// Tells a ``LoopbackServer`` to write long request bodies to files instead of memory.
    ///
    /// A body (by `Content-Length`, or chunked once its chunks add up to more) longer than `threshold`
    /// bytes is written, as it arrives, to a new file (mode 0600) in `directory`. The request then has
    /// an empty ``ServerRequest/body``, the file's path in ``ServerRequest/bodyFile`` and the length in
    /// ``ServerRequest/bodyLength``. The server removes the file as soon as the handler has returned
    /// (the logged request keeps the path and length, not the bytes): a handler that wants the bytes
    /// later copies them, or moves the file away, before returning.
    public struct BodySpooling: Sendable {
        /// Bodies longer than this many bytes are spooled; 8 MiB unless told.
        public var threshold: Int
        /// Where spool files are created; must exist. The system's temporary folder unless told.
        public var directory: String

        public init(threshold: Int = 8 << 20, directory: String = NSTemporaryDirectory()) {
            self.threshold = threshold
            self.directory = directory
        }
    }
}

/// One file being written by one thread: a spooled body, or (``FakeImgur``) an upload's media.
final class BodySpool {
    let path: String
    private var fd: Int32

    /// Creates a new, empty file named `prefix` and a UUID in `directory`; nil when that fails.
    init?(directory: String, prefix: String = "loopback-body-") {
        let folder = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        path = "\(folder)/\(prefix)\(UUID().uuidString)"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { return nil }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Appends `bytes`; false when the file cannot take them (the disk is full, say).
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, base + offset, bytes.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Closes the file, which stays for the handler; false (and the file removed) when closing fails.
    func finish() -> Bool {
        let closed = close(fd) == 0
        fd = -1
        if !closed { unlink(path) }
        return closed
    }

    /// Closes and removes the file: the body was not read to its end.
    func remove() {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(path)
    }
}
