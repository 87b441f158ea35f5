import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a stream to a file in large pieces and hashes it, on its own queue, while the network
/// thread goes on receiving.
///
/// The media transport hands the body over on its thread in pieces of up to 256 KiB (libcurl gives
/// 16 KB, CURL_MAX_WRITE_SIZE; CCurlShim gathers them). Copying each piece into a buffer is all that
/// thread does here: a full buffer goes to this writer's queue, which writes it with one `write(2)` and then feeds it
/// to SHA-256, in order, so the digest covers exactly the bytes in the file. With both buffers
/// busy the network thread waits, which slows the socket down: memory stays at two buffers per
/// transfer whatever the file size.
public final class BufferedWriter: @unchecked Sendable {
    // `current`/`used` belong to the producer (the transport's thread, one call at a time); the
    // hasher and the counters are touched only on `queue` or after `drain()`; `failure` and `spare`
    // sit behind their Mutex and semaphore.
    public let file: OpenFile
    private let queue = DispatchQueue(label: "imgur-archive.writer")
    private let capacity: Int
    private var current: Buffer?
    private var used = 0
    private let spare: Mutex<[Buffer]>
    private let freeBuffers = DispatchSemaphore(value: 1)
    private let failure = Mutex<FileError?>(nil)
    private var hasher: SHA256
    private var written: Int64

    /// - Parameters:
    ///   - hasher: the digest state over the `offset` bytes already in the file.
    public init(_ file: OpenFile, hasher: SHA256 = SHA256(), offset: Int64 = 0, capacity: Int = 256 * 1024) {
        self.file = file
        self.capacity = max(4096, capacity)
        self.hasher = hasher
        written = offset
        current = Buffer(capacity: self.capacity)
        spare = Mutex([Buffer(capacity: self.capacity)])
    }

    deinit {
        // Queued writes hold the writer, so none is pending here (and this may run on `queue`).
        releaseBuffers()
    }

    /// Gives the buffers back to the system once nothing more will be written: a file waiting for
    /// its flush to disk holds no memory.
    private func releaseBuffers() {
        current?.release()
        current = nil
        for buffer in spare.withLock({ list in defer { list.removeAll() }; return list }) { buffer.release() }
    }

    /// Accepts more bytes.
    /// - Throws: the error that stopped an earlier write (disk full, ...).
    public func append(_ bytes: UnsafeRawBufferPointer) throws(FileError) {
        if let failure = failure.withLock({ $0 }) { throw failure }
        guard current != nil else { throw FileError.write(path: file.path, reason: "already finished") }
        var offset = 0
        while offset < bytes.count {
            guard let current else { return }
            let count = min(bytes.count - offset, capacity - used)
            UnsafeMutableRawBufferPointer(rebasing: current.memory[used..<used + count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
            used += count
            offset += count
            if used == capacity { handOver() }
        }
    }

    /// Writes everything accepted so far and waits for it.
    /// - Returns: the bytes in the file and the digest state over them.
    /// - Throws: the first write error.
    public func finish() throws(FileError) -> (bytes: Int64, hasher: SHA256) {
        if used > 0 { handOver() }
        drain()
        releaseBuffers()
        if let failure = failure.withLock({ $0 }) { throw failure }
        return (written, hasher)
    }

    /// `finish` after a failed transfer: nil when a write failed (the file then has to be read back
    /// to know what it holds).
    public func finishQuietly() -> (bytes: Int64, hasher: SHA256)? {
        try? finish()
    }

    /// Waits for the writes handed over so far.
    private func drain() {
        queue.sync {}
    }

    private func handOver() {
        guard let full = current else { return }
        let count = used
        freeBuffers.wait()  // back-pressure: at most one buffer being written while the other fills
        current = spare.withLock { $0.popLast() }
        used = 0
        queue.async { [self] in
            if failure.withLock({ $0 }) == nil {
                let bytes = UnsafeRawBufferPointer(rebasing: full.memory[0..<count])
                do throws(FileError) {
                    try file.write(bytes)
                    file.startWriteback(offset: written, count: count)
                    hasher.update(bytes)
                    written += Int64(count)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
            spare.withLock { $0.append(full) }
            freeBuffers.signal()
        }
    }
}

/// One fixed block of memory handed between the network thread and the writer's queue. Exactly one
/// side holds it at a time (the semaphore and the spare list pass it on), hence `@unchecked`.
///
/// Mapped directly rather than taken from malloc: after blocks this size are freed, glibc raises
/// its mmap threshold and serves later ones from per-thread arenas that keep the memory (143 MB
/// peak for 1,000 files at --jobs 8, against 45 MB mapped; measured).
///
/// Released buffers wait in a small pool for the next file: a fresh mapping is faulted in page by
/// page and zeroed by the kernel, which was 8% of a 500 MB run's CPU samples (about 0.6 CPU-s/GB,
/// docs/performance.md). The pool holds at most `pooledBuffers` (4 MiB), whatever the number of
/// files waiting for their flush.
private let pooledBuffers = 16
private let pool = Mutex<[UnsafeMutableRawBufferPointer]>([])

private struct Buffer: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        let reused = pool.withLock { list -> UnsafeMutableRawBufferPointer? in
            guard let index = list.lastIndex(where: { $0.count == capacity }) else { return nil }
            return list.remove(at: index)
        }
        if let reused {
            memory = reused
            mapped = true
            return
        }
        let address = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let address, address != MAP_FAILED {
            memory = UnsafeMutableRawBufferPointer(start: address, count: capacity)
        } else {
            memory = .allocate(byteCount: capacity, alignment: 64)
            mapped = false
            return
        }
        mapped = true
    }

    private let mapped: Bool

    func release() {
        if mapped, pool.withLock({ list -> Bool in
            guard list.count < pooledBuffers else { return false }
            list.append(memory)
            return true
        }) {
            return
        }
        if mapped {
            munmap(memory.baseAddress, memory.count)
        } else {
            memory.deallocate()
        }
    }
}
