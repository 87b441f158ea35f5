/// Runs items with a bounded number in flight, starting each only while a budget allows it.
public enum WorkWindow {
    /// Why scheduling stopped before every item was started.
    public enum Stop<Reason: Sendable>: Sendable {
        /// `mayStart` refused: the items from `next` on were not started.
        case refused(Reason, next: Int)
        case cancelled(next: Int)
        case halted(next: Int)
    }

    /// Starts `work(index, item)` for each item in order, never more than `window` at once. Before
    /// each start `mayStart(inFlight)` is asked (nil: go on); `halted()` stops scheduling (a fatal
    /// error). With `firstAlone`, the first item runs alone until `firstDone` fires (its answer
    /// tells how much budget there is).
    /// - Returns: nil when every item was started and finished, else why scheduling stopped (the
    ///   started items have all finished by then).
    public static func run<Item: Sendable, Reason: Sendable>(
        _ items: [Item], window: Int, firstAlone: OneShot? = nil,
        mayStart: (_ inFlight: Int) -> Reason?, halted: () -> Bool,
        work: @escaping @Sendable (Int, Item) async -> Void
    ) async -> Stop<Reason>? {
        guard !items.isEmpty else { return nil }
        return await withTaskGroup(of: Void.self) { group in
            var next = 0
            var inFlight = 0
            var stop: Stop<Reason>?
            while next < items.count {
                if Task.isCancelled {
                    stop = .cancelled(next: next)
                    break
                }
                if halted() {
                    stop = .halted(next: next)
                    break
                }
                if inFlight >= max(1, window) {
                    await group.next()
                    inFlight -= 1
                    continue
                }
                if let reason = mayStart(inFlight) {
                    stop = .refused(reason, next: next)
                    break
                }
                let index = next
                let item = items[index]
                next += 1
                inFlight += 1
                group.addTask {
                    await work(index, item)
                    firstAlone?.fire()
                }
                if index == 0, let firstAlone { await firstAlone.wait() }
            }
            if halted() {
                group.cancelAll()
                if stop == nil { stop = .halted(next: next) }
            }
            await group.waitForAll()
            if stop == nil, Task.isCancelled { stop = .cancelled(next: next) }
            return stop
        }
    }
}
