import Dispatch

/// Runs blocking file work (fsync, rename, reading whole files) on a thread of its own.
///
/// Swift's cooperative pool has one thread per core: two fsyncs there stall every other task of
/// the run (measured on 2 cores, 1,000 files: the cores were only about 55% busy). The global
/// dispatch queues are capped at about one thread per core too (they are not "overcommit"), which
/// held `verify` to two files read at a time (0.64x of `xargs -P 8 cat`). A serial queue of its
/// own runs on the overcommit pool: one thread for each blocked call. Callers bound how many
/// there are (`--jobs`).
public enum BlockingIO {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "imgur-archive.blocking").async { continuation.resume(with: Result { try work() }) }
        }
    }
}
