import CCurlShim
import Foundation

/// The threads of a `CurlTransport`: at most `count`, each with one libcurl handle, started as
/// transfers come and kept until the transport goes. Transfers past `count` wait in order.
final class CurlWorkers: @unchecked Sendable {
    // Every stored property below `condition` is only touched while holding it.
    private let condition = NSCondition()
    private var queue: [CurlJob] = []
    private var head = 0  // queue[head...] is waiting
    private var threads = 0
    private var idle = 0
    private var isShutDown = false
    /// Each running job's handle, by job number, for `cancel`.
    private var running: [UInt64: OpaquePointer] = [:]

    private let count: Int

    init(count: Int) {
        self.count = max(1, count)
    }

    func submit(_ job: CurlJob) {
        condition.lock()
        if job.isCancelled || isShutDown {
            condition.unlock()
            return job.finish(.failure(CancellationError()))
        }
        queue.append(job)
        let start = idle < queue.count - head && threads < count
        if start { threads += 1 }
        condition.signal()
        condition.unlock()
        if start {
            let thread = Thread { [self] in work() }
            thread.name = "imgur-archive media"
            thread.start()
        }
    }

    /// A queued job ends at once; a running one stops at once too (libcurl is woken).
    func cancel(_ job: CurlJob) {
        job.markCancelled()
        condition.lock()
        var queued = false
        if let index = queue[head...].firstIndex(where: { $0 === job }) {
            queue.remove(at: index)
            queued = true
        }
        // Cancelling under the lock: the handle is not freed or given another job meanwhile.
        if let handle = running[job.number] { ia_direct_cancel(handle, job.number) }
        condition.unlock()
        if queued { job.finish(.failure(CancellationError())) }
    }

    func shutDown() {
        condition.lock()
        isShutDown = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: A worker thread

    private func work() {
        guard let handle = ia_direct_new() else { return failQueued(reason: "libcurl could not be set up") }
        defer { ia_direct_free(handle) }
        while let job = next(handle) {
            let result = job.exchange.run(on: handle, number: job.number)
            condition.lock()
            running[job.number] = nil
            condition.unlock()
            job.finish(result)
        }
    }

    /// The next job, registered as running on `handle`; nil once the transport is gone.
    private func next(_ handle: OpaquePointer) -> CurlJob? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if isShutDown {
                threads -= 1
                return nil
            }
            idle += 1
            condition.wait()
            idle -= 1
        }
        let job = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        running[job.number] = handle
        // Cancelled while it was being taken: libcurl stops it before sending anything.
        if job.isCancelled { ia_direct_cancel(handle, job.number) }
        return job
    }

    private func failQueued(reason: String) {
        condition.lock()
        threads -= 1
        // Another thread may still take them; fail them only when no thread is left.
        var jobs: [CurlJob] = []
        if threads == 0 {
            jobs = Array(queue[head...])
            queue.removeAll()
            head = 0
        }
        condition.unlock()
        for job in jobs {
            job.finish(
                .failure(HTTPError.connectionFailed(url: job.exchange.request.url.absoluteString, code: -1, reason: reason)))
        }
    }
}
