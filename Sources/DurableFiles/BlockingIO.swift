import Dispatch
import Foundation

/// Runs blocking file work (fsync, rename, reading whole files) on a thread of its own.
///
/// Swift's cooperative pool has one thread per core: two fsyncs there stall every other task of
/// the run (measured on 2 cores, 1,000 files: the cores were only about 55% busy). The global
/// dispatch queues are capped at about one thread per core too (they are not "overcommit"), which
/// held `verify` to two files read at a time (0.64x of `xargs -P 8 cat`). A serial queue of its
/// own runs on the overcommit pool: one thread for each blocked call. At most `width` calls run
/// at once, whatever the callers do (a 300,000-media album once made 250 threads); the rest wait
/// without holding a thread.
public enum BlockingIO {
    /// Blocking calls at once: more than `--jobs`' 64 transfers ever need to flush together.
    public static let width = 24

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await gate.enter()
        defer { gate.leave() }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "imgur-archive.blocking").async { continuation.resume(with: Result { try work() }) }
        }
    }

    private static let gate = Gate(width: width)

    /// A counting gate whose waiters are continuations, not threads.
    final class Gate: @unchecked Sendable {
        private let lock = NSLock()
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(width: Int) { free = width }

        func enter() async {
            await withCheckedContinuation { continuation in
                lock.lock()
                if free > 0 {
                    free -= 1
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiting.append(continuation)
                    lock.unlock()
                }
            }
        }

        func leave() {
            lock.lock()
            if waiting.isEmpty {
                free += 1
                lock.unlock()
            } else {
                let next = waiting.removeFirst()
                lock.unlock()
                next.resume()
            }
        }
    }
}
