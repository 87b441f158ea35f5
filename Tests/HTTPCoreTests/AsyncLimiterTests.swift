import Foundation
import TestSupport
import Testing

@testable import HTTPCore

@Suite struct AsyncLimiterTests {
    /// Counts holders at this moment and the most ever seen.
    final class Gauge: @unchecked Sendable {
        // Only touched under `lock`.
        private let lock = NSLock()
        private var now = 0
        private var peak = 0

        func enter() {
            lock.lock()
            now += 1
            peak = max(peak, now)
            lock.unlock()
        }

        func leave() {
            lock.lock()
            now -= 1
            lock.unlock()
        }

        var maximum: Int {
            lock.lock()
            defer { lock.unlock() }
            return peak
        }

        var current: Int {
            lock.lock()
            defer { lock.unlock() }
            return now
        }
    }

    @Test(arguments: [1, 3])
    func neverMoreThanLimitHolders(limit: Int) async throws {
        let limiter = AsyncLimiter(limit: limit)
        let gauge = Gauge()
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await limiter.withPlace {
                        gauge.enter()
                        try await Task.sleep(for: .milliseconds(3))
                        gauge.leave()
                        return index
                    }
                }
            }
            var finished: [Int] = []
            for try await index in group { finished.append(index) }
            return finished
        }
        #expect(done.sorted() == Array(0..<24))
        #expect(gauge.maximum == limit)
        #expect(gauge.current == 0)
    }

    @Test func limitBelowOneMeansOne() async throws {
        let limiter = AsyncLimiter(limit: 0)
        let gauge = Gauge()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await limiter.withPlace {
                        gauge.enter()
                        try await Task.sleep(for: .milliseconds(2))
                        gauge.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(gauge.maximum == 1)
    }

    @Test func withPlaceReleasesWhenTheBodyThrows() async throws {
        struct Boom: Error, Equatable {}
        let limiter = AsyncLimiter(limit: 1)
        await #expect(throws: Boom()) {
            try await limiter.withPlace { () async throws -> Int in throw Boom() }
        }
        // The place came back: this would wait forever otherwise.
        let value = try await withTimeout(30) { try await limiter.withPlace { 7 } }
        #expect(value == 7)
    }

    @Test func alreadyCancelledCallerThrowsWithoutTakingAPlace() async throws {
        let limiter = AsyncLimiter(limit: 1)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await limiter.acquire()
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        // The single place is still free.
        try await withTimeout(30) { try await limiter.acquire() }
        limiter.release()
    }

    @Test func cancelledWaiterThrowsAndLeaksNoPlace() async throws {
        let limit = 2
        let limiter = AsyncLimiter(limit: limit)
        for _ in 0..<limit { try await limiter.acquire() }

        let entered = Locked(false)
        let waiter = Task {
            entered.withLock { $0 = true }
            try await limiter.acquire()
        }
        #expect(await waitUntil(timeout: 60) { entered.current })
        try await Task.sleep(for: .milliseconds(20))  // most likely queued by now; either way it must fail
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }

        for _ in 0..<limit { limiter.release() }
        // All places are free again: `limit` holders at once, without waiting.
        try await withTimeout(30) {
            for _ in 0..<limit { try await limiter.acquire() }
        }
        // And no more than that: one more caller waits until a place is released.
        let extra = Locked(false)
        let third = Task {
            try await limiter.acquire()
            extra.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(30))
        #expect(!extra.current)
        limiter.release()
        try await withTimeout(30) { try await third.value }
        #expect(extra.current)
        for _ in 0..<limit { limiter.release() }
    }

    @Test func releaseHandsThePlaceToAWaiter() async throws {
        let limiter = AsyncLimiter(limit: 1)
        try await limiter.acquire()
        let got = Locked(false)
        let waiter = Task {
            try await limiter.acquire()
            got.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(20))
        #expect(!got.current)
        limiter.release()
        try await withTimeout(30) { try await waiter.value }
        #expect(got.current)
        limiter.release()
    }

    /// Many waiters, half of them cancelled at random moments: every survivor gets through, the
    /// limit holds throughout, and afterwards every place is free.
    @Test func cancellationStormKeepsTheCount() async throws {
        let limit = 3
        let limiter = AsyncLimiter(limit: limit)
        let gauge = Gauge()
        let completed = Locked(0)
        let cancelled = Locked(0)
        var tasks: [Task<Void, Never>] = []
        for _ in 0..<60 {
            tasks.append(Task {
                do {
                    try await limiter.withPlace {
                        gauge.enter()
                        defer { gauge.leave() }
                        try? await Task.sleep(for: .milliseconds(1))
                    }
                    completed.withLock { $0 += 1 }
                } catch is CancellationError {
                    cancelled.withLock { $0 += 1 }
                } catch {
                    Issue.record("unexpected \(error)")
                }
            })
        }
        for (index, task) in tasks.enumerated() where index % 2 == 1 {
            task.cancel()
            if index % 8 == 1 { await Task.yield() }
        }
        for task in tasks { await task.value }
        #expect(completed.current + cancelled.current == 60)
        #expect(completed.current >= 30)
        #expect(gauge.maximum <= limit)
        try await withTimeout(30) {
            for _ in 0..<limit { try await limiter.acquire() }
        }
        for _ in 0..<limit { limiter.release() }
    }
}
