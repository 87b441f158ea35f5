import Foundation
import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

@Suite struct RateLimitStatusTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func parsesEveryHeaderWhateverItsCase() throws {
        let headers = HTTPHeaders([
            "X-RateLimit-UserLimit": "500", "x-ratelimit-userremaining": " 499 ", "X-RATELIMIT-USERRESET": "1700003600",
            "X-RateLimit-ClientLimit": "12500", "X-Ratelimit-Clientremaining": "12000", "x-ratelimit-clientreset": "86400",
        ])
        let status = try #require(RateLimitStatus(headers: headers, now: Self.now))
        #expect(status == RateLimitStatus(
            clientLimit: 12_500, clientRemaining: 12_000, userLimit: 500, userRemaining: 499,
            userReset: Date(timeIntervalSince1970: 1_700_003_600), clientReset: Self.now.addingTimeInterval(86_400)))
    }

    @Test func partialHeaders() throws {
        let status = try #require(RateLimitStatus(headers: HTTPHeaders(["X-RateLimit-ClientRemaining": "0"]), now: Self.now))
        #expect(status == RateLimitStatus(clientRemaining: 0))
    }

    @Test func garbageValuesAreDropped() throws {
        let headers = HTTPHeaders(["X-RateLimit-UserLimit": "many", "X-RateLimit-UserRemaining": "12"])
        let status = try #require(RateLimitStatus(headers: headers, now: Self.now))
        #expect(status == RateLimitStatus(userRemaining: 12))
    }

    /// Out of range values would overflow the budget's arithmetic and date formatting.
    @Test func implausibleValuesAreDropped() throws {
        let headers = HTTPHeaders([
            "X-RateLimit-ClientRemaining": "-9223372036854775808", "X-RateLimit-UserRemaining": "-1",
            "X-RateLimit-UserReset": "9223372036854775000", "X-RateLimit-ClientLimit": "12500",
        ])
        let status = try #require(RateLimitStatus(headers: headers, now: Self.now))
        #expect(status == RateLimitStatus(clientLimit: 12500))
    }

    @Test func nilWithoutHeaders() {
        #expect(RateLimitStatus(headers: HTTPHeaders(), now: Self.now) == nil)
        #expect(RateLimitStatus(headers: HTTPHeaders(["Content-Type": "application/json"]), now: Self.now) == nil)
        #expect(RateLimitStatus(headers: HTTPHeaders(["X-RateLimit-UserLimit": "lots"]), now: Self.now) == nil)
    }

    @Test func headerLookupIgnoresCase() {
        var headers = HTTPHeaders(["Content-Type": "text/html"])
        #expect(headers["content-type"] == "text/html")
        #expect(headers["CONTENT-TYPE"] == "text/html")
        headers["CONTENT-type"] = "application/json"
        #expect(headers["Content-Type"] == "application/json")
        #expect(headers == HTTPHeaders(["content-type": "application/json"]))
    }
}

@Suite struct RetryPolicyTests {
    @Test func initClampsItsArguments() {
        let policy = RetryPolicy(maxAttempts: 0, baseDelay: -1, maxDelay: -2, maxServerDelay: -3, jitter: 7)
        #expect(policy.maxAttempts == 1)
        #expect(policy.baseDelay == 0)
        #expect(policy.maxDelay == 0)
        #expect(policy.maxServerDelay == 0)
        #expect(policy.jitter == 1)
        #expect(RetryPolicy(jitter: -1).jitter == 0)
    }

    @Test func defaults() {
        #expect(RetryPolicy() == RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 30, maxServerDelay: 120, jitter: 0.5))
        #expect(RetryPolicy.immediate.delay(afterAttempt: 3, serverAsked: nil) == 0)
    }

    @Test(arguments: [(0, 1.0), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 16.0), (6, 30.0), (7, 30.0), (1000, 30.0)])
    func exponentialAndCapped(attempt: Int, expected: TimeInterval) {
        let policy = RetryPolicy(baseDelay: 1, maxDelay: 30, jitter: 0)
        #expect(policy.delay(afterAttempt: attempt, serverAsked: nil) == expected)
    }

    @Test func jitterStaysWithinBounds() throws {
        let policy = RetryPolicy(baseDelay: 2, maxDelay: 30, jitter: 0.5)
        var seen: Set<TimeInterval> = []
        for _ in 0..<500 {
            let wait = try #require(policy.delay(afterAttempt: 3, serverAsked: nil))
            #expect(wait >= 4 && wait <= 8)  // capped 8 s, half of it randomised
            seen.insert(wait)
        }
        #expect(seen.count > 100)  // really random
        let full = RetryPolicy(baseDelay: 1, maxDelay: 10, jitter: 1)
        for _ in 0..<200 {
            let wait = try #require(full.delay(afterAttempt: 10, serverAsked: nil))
            #expect(wait >= 0 && wait <= 10)
        }
    }

    @Test func serverAskedIsHonouredUpToItsCap() {
        let policy = RetryPolicy(baseDelay: 1, maxDelay: 30, maxServerDelay: 120, jitter: 0.5)
        #expect(policy.delay(afterAttempt: 1, serverAsked: 45) == 45)  // no jitter, no backoff cap
        #expect(policy.delay(afterAttempt: 4, serverAsked: 0) == 0)
        #expect(policy.delay(afterAttempt: 1, serverAsked: 120) == 120)
        #expect(policy.delay(afterAttempt: 1, serverAsked: 120.5) == nil)
        #expect(policy.delay(afterAttempt: 1, serverAsked: 86_400) == nil)
        #expect(policy.delay(afterAttempt: 1, serverAsked: -5) == 0)
        #expect(RetryPolicy.immediate.delay(afterAttempt: 1, serverAsked: 0.5) == nil)
    }

    // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static let retryAfterValues: [(String?, TimeInterval?)] = [
        ("120", 120),
        ("0", 0),
        (" 7 ", 7),
        ("-5", 0),
        ("9223372036854775807", 3_155_760_000),
        ("Tue, 14 Nov 2023 22:15:00 GMT", 100),
        ("Tuesday, 14-Nov-23 22:14:00 GMT", 40),
        ("Tue Nov 14 22:13:30 2023", 10),
        ("Mon, 13 Nov 2023 22:13:20 GMT", 0),
        ("1.5", nil),
        ("soon", nil),
        ("", nil),
        ("   ", nil),
        (nil, nil),
    ]

    @Test(arguments: retryAfterValues)
    func retryAfter(value: String?, expected: TimeInterval?) {
        #expect(RetryPolicy.retryAfter(value, now: Self.now) == expected)
    }
}

/// An error whose transience the test decides.
struct FakeFailure: RetryableError, Equatable {
    var isTransient: Bool
    var retryAfter: TimeInterval?
    var tag = 0
}

@Suite struct RetrierTests {
    /// Zero-length waits, three attempts in all.
    static let fast = RetryPolicy(maxAttempts: 3, baseDelay: 0, maxDelay: 0, maxServerDelay: 1, jitter: 0)

    @Test func returnsAtOnceOnSuccess() async throws {
        let events = Locked<[RetryEvent]>([])
        let retrier = Retrier(policy: Self.fast) { event in events.withLock { $0.append(event) } }
        let calls = Locked(0)
        let value = try await retrier.run("album q6i58") {
            calls.withLock { $0 += 1 }
            return 42
        }
        #expect(value == 42)
        #expect(calls.current == 1)
        #expect(events.current.isEmpty)
    }

    @Test func retriesTransientErrorsUntilSuccess() async throws {
        let events = Locked<[RetryEvent]>([])
        let retrier = Retrier(policy: Self.fast) { event in events.withLock { $0.append(event) } }
        let calls = Locked(0)
        let failure = ImgurAPIError.serverError(status: 502, message: "Bad Gateway", retryAfter: nil)
        let value = try await retrier.run("album q6i58") { () async throws -> String in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            if call < 3 { throw failure }
            return "ok"
        }
        #expect(value == "ok")
        #expect(calls.current == 3)
        #expect(events.current == [
            RetryEvent(subject: "album q6i58", attempt: 1, delay: 0, reason: failure.description),
            RetryEvent(subject: "album q6i58", attempt: 2, delay: 0, reason: failure.description),
        ])
    }

    @Test func givesUpAfterMaxAttempts() async throws {
        let events = Locked<[RetryEvent]>([])
        let retrier = Retrier(policy: Self.fast) { event in events.withLock { $0.append(event) } }
        let calls = Locked(0)
        let failure = HTTPError.connectionFailed(url: "https://api.imgur.com/3/album/q6i58", code: -1005, reason: "lost")
        await #expect(throws: failure) {
            try await retrier.run("album q6i58") { () async throws -> Int in
                calls.withLock { $0 += 1 }
                throw failure
            }
        }
        #expect(calls.current == 3)
        #expect(events.current.map(\.attempt) == [1, 2])
    }

    @Test func immediatePolicyMakesFiveAttempts() async throws {
        let calls = Locked(0)
        await #expect(throws: FakeFailure(isTransient: true)) {
            try await Retrier(policy: .immediate).run("x") { () async throws -> Int in
                calls.withLock { $0 += 1 }
                throw FakeFailure(isTransient: true)
            }
        }
        #expect(calls.current == 5)
    }

    @Test func singleAttemptPolicyNeverRetries() async throws {
        let calls = Locked(0)
        let policy = RetryPolicy(maxAttempts: 1, baseDelay: 0, maxDelay: 0, jitter: 0)
        await #expect(throws: FakeFailure(isTransient: true)) {
            try await Retrier(policy: policy).run("x") { () async throws -> Int in
                calls.withLock { $0 += 1 }
                throw FakeFailure(isTransient: true)
            }
        }
        #expect(calls.current == 1)
    }

    static let permanent: [any Error & Sendable] = [
        ImgurAPIError.notFound(resource: "album q6i58", message: nil),
        ImgurAPIError.invalidClientID(message: "Invalid client_id"),
        ImgurAPIError.malformedResponse("x"),
        ImgurAPIError.notJSON(status: 200, contentType: "text/html", snippet: "x"),
        FakeFailure(isTransient: false),
        CocoaError(.fileNoSuchFile),
        CancellationError(),
    ]

    @Test(arguments: 0..<permanent.count)
    func doesNotRetryPermanentErrors(index: Int) async {
        let failure = Self.permanent[index]
        let calls = Locked(0)
        let events = Locked(0)
        let retrier = Retrier(policy: Self.fast) { _ in events.withLock { $0 += 1 } }
        do {
            _ = try await retrier.run("x") { () async throws -> Int in
                calls.withLock { $0 += 1 }
                throw failure
            }
            Issue.record("expected \(failure)")
        } catch {
            #expect(String(reflecting: error) == String(reflecting: failure))
        }
        #expect(calls.current == 1)
        #expect(events.current == 0)
    }

    @Test func serverAskedWaitBeyondTheCapFailsAtOnce() async {
        let calls = Locked(0)
        let failure = ImgurAPIError.rateLimited(message: nil, retryAfter: 3600, resetAt: nil)
        await #expect(throws: failure) {
            try await Retrier(policy: Self.fast).run("x") { () async throws -> Int in
                calls.withLock { $0 += 1 }
                throw failure
            }
        }
        #expect(calls.current == 1)
    }

    @Test func serverAskedWaitWithinTheCapIsUsed() async throws {
        let events = Locked<[RetryEvent]>([])
        let retrier = Retrier(policy: Self.fast) { event in events.withLock { $0.append(event) } }
        let calls = Locked(0)
        let failure = FakeFailure(isTransient: true, retryAfter: 0.02)
        let start = ContinuousClock.now
        let value = try await retrier.run("x") { () async throws -> Int in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            if call == 1 { throw failure }
            return call
        }
        #expect(value == 2)
        #expect(events.current.map(\.delay) == [0.02])
        #expect(seconds(since: start) >= 0.015)
    }

    @Test func progressResetsTheCount() async throws {
        let events = Locked<[RetryEvent]>([])
        let retrier = Retrier(policy: Self.fast) { event in events.withLock { $0.append(event) } }
        let bytes = Locked<Int64>(0)
        let calls = Locked(0)
        // Ten failures in a row, more than three attempts, but each one wrote more bytes.
        let value = try await retrier.run("q6i58/AbCdEfG.jpg", progress: { bytes.current }) { () async throws -> Int in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            bytes.withLock { $0 += 1000 }
            if call <= 10 { throw FakeFailure(isTransient: true, tag: call) }
            return call
        }
        #expect(value == 11)
        #expect(events.current.map(\.attempt) == Array(repeating: 1, count: 10))
        #expect(events.current.allSatisfy { $0.subject == "q6i58/AbCdEfG.jpg" })
    }

    @Test func stalledProgressStillGivesUp() async throws {
        let bytes = Locked<Int64>(0)
        let calls = Locked(0)
        let events = Locked<[Int]>([])
        let retrier = Retrier(policy: Self.fast) { event in events.withLock { $0.append(event.attempt) } }
        await #expect(throws: FakeFailure(isTransient: true)) {
            try await retrier.run("x", progress: { bytes.current }) { () async throws -> Int in
                let call = calls.withLock { count -> Int in
                    count += 1
                    return count
                }
                // Progress on the first two attempts only.
                if call <= 2 { bytes.withLock { $0 += 10 } }
                throw FakeFailure(isTransient: true)
            }
        }
        // Attempts 1 and 2 advanced (each counts as a first failure), attempt 3 is the second failure
        // without progress, attempt 4 the third: maxAttempts reached.
        #expect(events.current == [1, 1, 2])
        #expect(calls.current == 4)
    }

    @Test func cancellationDuringTheWaitEndsTheRun() async throws {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 30, maxDelay: 30, jitter: 0)
        let retried = Locked(false)
        let calls = Locked(0)
        let retrier = Retrier(policy: policy) { _ in retried.withLock { $0 = true } }
        let task = Task {
            try await retrier.run("x") { () async throws -> Int in
                calls.withLock { $0 += 1 }
                throw FakeFailure(isTransient: true)
            }
        }
        #expect(await waitUntil { retried.current })
        let start = ContinuousClock.now
        task.cancel()
        let result = await task.result
        #expect(seconds(since: start) < 15)  // the wait was 30 s
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(calls.current == 1)
    }

    @Test func retryEventReasonIsTheErrorDescription() async throws {
        let events = Locked<[RetryEvent]>([])
        let retrier = Retrier(policy: Self.fast) { event in events.withLock { $0.append(event) } }
        let failure = HTTPError.timedOut(url: "https://api.imgur.com/3/album/q6i58", seconds: 30, idle: true)
        let calls = Locked(0)
        _ = try await retrier.run("album q6i58") { () async throws -> Int in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            if call == 1 { throw failure }
            return 0
        }
        #expect(events.current.first?.reason == "no data from api.imgur.com for 30s")
    }
}

/// A request that is not idempotent (an upload) is repeated only after failures that prove it was
/// not processed.
@Suite struct NonIdempotentRetryTests {
    static let fast = RetryPolicy(maxAttempts: 5, baseDelay: 0, maxDelay: 0, maxServerDelay: 1, jitter: 0)

    @Test(arguments: [
        HTTPError.timedOut(url: "u", seconds: 120, idle: true) as any Error & Sendable,
        HTTPError.connectionFailed(url: "u", code: -1005, reason: "lost"),
        HTTPError.incompleteBody(url: "u", expected: 9, received: 3),
        ImgurAPIError.serverError(status: 500, message: "Could not process upload!", retryAfter: nil),
    ])
    func anAmbiguousFailureIsNotRepeated(failure: any Error & Sendable) async {
        let calls = Locked(0)
        await #expect(throws: (any Error).self) {
            try await Retrier(policy: Self.fast).run("upload", repeatable: false) { () async throws -> Int in
                calls.withLock { $0 += 1 }
                throw failure
            }
        }
        #expect(calls.current == 1)
    }

    @Test(arguments: [
        HTTPError.connectionFailed(url: "u", code: -1004, reason: "could not connect") as any Error & Sendable,
        ImgurAPIError.rateLimited(message: nil, retryAfter: 0, resetAt: nil),
        ImgurAPIError.overCapacity(status: 403, message: nil, retryAfter: 0),
    ])
    func aRefusalBeforeProcessingIsRepeated(failure: any Error & Sendable) async throws {
        let calls = Locked(0)
        let value = try await Retrier(policy: Self.fast).run("upload", repeatable: false) { () async throws -> Int in
            let call = calls.withLock { $0 += 1; return $0 }
            if call < 3 { throw failure }
            return call
        }
        #expect(value == 3)
    }
}
