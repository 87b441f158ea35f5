import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for tests that run the binary (or `mount`).
///
/// Not Foundation's `Process`: on Linux it forks and then closes every descriptor up to the limit
/// in the child (about 50 ms at 20,000), and all that time the child holds copies of this
/// process's descriptors. A `flock` belongs to the open file description, so a catalog or run
/// lock another test had just released stayed held by that child, and the next run of that test
/// found "another run is using" it. `posix_spawn` (vfork and exec at once) closes our descriptors,
/// all opened with `O_CLOEXEC`, within microseconds.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let exit = Locked<Int32?>(nil)
    private let ended = DispatchSemaphore(value: 0)

    /// Output read as it comes, on threads of their own.
    private let out = Locked(Data())
    private let err = Locked(Data())
    private let drained = DispatchGroup()

    /// - Parameter input: what stdin gives (nothing: /dev/null).
    public init(_ executable: String, _ arguments: [String], environment: [String: String], directory: String, input: Data? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        var inPipe: [Int32] = [-1, -1]
        // pipe2 is not in Glibc's Swift overlay: pipe, then close-on-exec (dup2 clears it in the child).
        for index in 0..<3 {
            let made = index == 0 ? pipe(&outPipe) : index == 1 ? pipe(&errPipe) : pipe(&inPipe)
            guard made == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        }
        for fd in outPipe + errPipe + inPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // glibc 2.29+ has it, but its header hides it from Swift: looked up at run time.
        typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else {
            throw POSIXError(.ENOSYS)
        }
        _ = unsafeBitCast(symbol, to: AddChdir.self)(&actions, directory)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        guard status == 0 else {
            close(inPipe[1])
            close(outPipe[0])
            close(errPipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO)
        }
        pid = child
        let spawned = child
        let writer = inPipe[1]
        let feed = input ?? Data()
        Thread.detachNewThread {
            feed.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let count = write(writer, bytes.baseAddress! + offset, bytes.count - offset)
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    offset += count
                }
            }
            close(writer)
        }
        for (fd, buffer) in [(outPipe[0], out), (errPipe[0], err)] {
            drained.enter()
            Thread.detachNewThread { [drained] in
                var chunk = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    buffer.withLock { $0.append(contentsOf: chunk[0..<count]) }
                }
                close(fd)
                drained.leave()
            }
        }
        Thread.detachNewThread { [exit, ended] in
            var raw: Int32 = 0
            while waitpid(spawned, &raw, 0) < 0, errno == EINTR {}
            // As Foundation's Process reports it: the exit code, or the signal that ended it.
            let code = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
            exit.withLock { $0 = code }
            ended.signal()
        }
    }

    public var isRunning: Bool { exit.current == nil }
    public var stdout: String { String(decoding: out.current, as: UTF8.self) }
    public var stderr: String { String(decoding: err.current, as: UTF8.self) }

    /// Waits, off the cooperative pool, for the exit and the end of the output.
    public func finish() async -> (status: Int32, out: String, err: String) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                ended.wait()
                ended.signal()
                drained.wait()
                continuation.resume(returning: (exit.current ?? -1, stdout, stderr))
            }
        }
    }

    /// Blocks the calling thread until the child exits and its output is read (for synchronous
    /// helpers); its status.
    @discardableResult
    public func waitSynchronously() -> Int32 {
        ended.wait()
        ended.signal()
        drained.wait()
        return exit.current ?? -1
    }
}
