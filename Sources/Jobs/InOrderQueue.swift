import Dispatch

/// Hands values to `handler` in index order (0, 1, 2, ...) whatever order they are submitted in,
/// one at a time on one serial dispatch queue.
///
/// A dispatch queue rather than an actor: handlers append to the catalog or a job file and end with
/// an fsync, and blocking the cooperative pool (one thread per core) would stall the whole run.
public final class InOrderQueue<Value: Sendable>: @unchecked Sendable {
    // `pending`, `next` and `handler` are only touched on `queue`.
    private let queue: DispatchQueue
    private var pending: [Int: Value] = [:]
    private var next = 0
    private let handler: (Int, Value) -> Void

    /// - Parameter handler: called on the queue, in index order.
    public init(label: String, handler: @escaping (Int, Value) -> Void) {
        queue = DispatchQueue(label: label)
        self.handler = handler
    }

    public func submit(_ index: Int, _ value: Value) {
        queue.async { [self] in
            pending[index] = value
            while let value = pending.removeValue(forKey: next) {
                handler(next, value)
                next += 1
            }
        }
    }

    /// Runs `work` on the queue after everything submitted so far, and returns its result.
    public func sync<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    /// Runs `work` on the queue, in turn with the handler calls (for state the handler owns).
    public func async(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }
}
