import Foundation

/// Seconds elapsed since `start`.
public func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes. The limit is generous: it
/// costs nothing when the condition holds, and a loaded machine is slow.
public func waitUntil(timeout: TimeInterval = 120, _ condition: () -> Bool) async -> Bool {
    let start = ContinuousClock.now
    while seconds(since: start) < timeout {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// Runs `body` off Swift's cooperative pool, on a serial dispatch queue of its own, in the same
/// task (so `#expect` still knows its test). The pool has one thread per core (two on CI): a test
/// that computes or fsyncs for seconds on it starves every other test's waits, so heavy
/// synchronous bodies go here.
public func onItsOwnThread<T>(_ body: () throws -> T) async throws -> T {
    try await withTaskExecutorPreference(DedicatedExecutor()) { try body() }
}

/// Runs a task's jobs on one serial dispatch queue: dispatch's ordinary worker threads, which
/// grow with demand, not the cooperative pool's fixed one per core.
final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "test.dedicated-executor")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Polls `condition` on a thread of its own every 5 ms and, as soon as it holds, runs `action`
/// there too: for tests that must strike inside a real-time window of another process (kill it
/// mid-download), which a starved cooperative pool could let pass. Returns whether it held.
public func whenTrue(
    timeout: TimeInterval = 120, _ condition: @escaping @Sendable () -> Bool, then action: @escaping @Sendable () -> Void = {}
) async -> Bool {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let start = ContinuousClock.now
            while seconds(since: start) < timeout {
                if condition() {
                    action()
                    continuation.resume(returning: true)
                    return
                }
                usleep(5_000)
            }
            continuation.resume(returning: false)
        }
    }
}
