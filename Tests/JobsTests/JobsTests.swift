import Foundation
import HTTPCore
import ImgurAPI
import Synchronization
import Testing

@testable import Jobs

/// The machinery every long run shares: in-order commits, the work window, the budget.
@Suite struct JobsTests {
    @Test func valuesAreHandedOverInIndexOrderWhateverOrderTheyArrive() async {
        let seen = Mutex<[Int]>([])
        let queue = InOrderQueue<String>(label: "test") { index, value in
            seen.withLock { $0.append(index) }
            #expect(value == "v\(index)")
        }
        for index in [3, 0, 2, 1, 5, 4] { queue.submit(index, "v\(index)") }
        let count = await queue.sync { seen.withLock { $0.count } }
        #expect(count == 6)
        #expect(seen.withLock { $0 } == [0, 1, 2, 3, 4, 5])
    }

    @Test func theWindowNeverHoldsMoreThanItsSize() async {
        let state = Mutex<(now: Int, most: Int, done: Int)>((0, 0, 0))
        let stop = await WorkWindow.run(
            Array(0..<40), window: 3, mayStart: { _ -> String? in nil }, halted: { false },
            work: { _, _ in
                state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                try? await Task.sleep(for: .milliseconds(2))
                state.withLock { $0.now -= 1; $0.done += 1 }
            })
        #expect(stop == nil)
        #expect(state.withLock { $0.most } <= 3)
        #expect(state.withLock { $0.done } == 40)
    }

    @Test func aRefusalStopsSchedulingAndSaysWhereItStopped() async {
        let started = Mutex(0)
        let stop = await WorkWindow.run(
            Array(0..<10), window: 1, mayStart: { _ in started.withLock { $0 } >= 4 ? "budget" : nil },
            halted: { false }, work: { _, _ in started.withLock { $0 += 1 } })
        guard case .refused(let reason, let next)? = stop else {
            Issue.record("expected a refusal, got \(String(describing: stop))")
            return
        }
        #expect(reason == "budget")
        #expect(next == 4)
    }

    @Test func uploadsStopBeforeThePostReserveWhileReadsGoOn() {
        let budget = RateLimitBudget(reserve: RateLimitReserve(client: 10, user: 2, posts: 5))
        budget.update(RateLimitStatus(clientLimit: 12_500, clientRemaining: 9_000, userLimit: 500, userRemaining: 400,
                                      postLimit: 1_250, postRemaining: 7))
        #expect(budget.exhausted(inFlight: 0, cost: .upload) == nil)
        #expect(budget.exhausted(inFlight: 2, cost: .upload)?.reason == "hourly upload budget down to 7 of 1250 POSTs (reserve 5)")
        #expect(budget.exhausted(inFlight: 2, cost: .read) == nil)
        // A GET's answer carries no POST headers: the last POST figures still hold.
        budget.update(RateLimitStatus(clientLimit: 12_500, clientRemaining: 8_999, userLimit: 500, userRemaining: 399))
        #expect(budget.exhausted(inFlight: 2, cost: .upload) != nil)
    }

    @Test func anUploadCostsTenCreditsOfTheHourlyBudget() {
        let budget = RateLimitBudget(reserve: RateLimitReserve(client: 10, user: 10, posts: 0))
        budget.update(RateLimitStatus(clientRemaining: 9_000, userRemaining: 45))
        #expect(budget.exhausted(inFlight: 2, cost: .upload) == nil, "45 - 30 = 15 stays above 10")
        #expect(budget.exhausted(inFlight: 3, cost: .upload) != nil, "45 - 40 = 5 does not")
    }
}
