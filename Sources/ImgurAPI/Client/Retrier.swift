import Foundation

/// An error that may go away if the request is tried again later.
public protocol RetryableError: Error {
    var isTransient: Bool { get }
    /// The wait the server asked for, when it did.
    var retryAfter: TimeInterval? { get }
}

extension ImgurAPIError: RetryableError {}

/// A retry about to happen, for the user to see.
public struct RetryEvent: Sendable, Equatable {
    /// What is being retried ("album q6i58", "q6i58/AbCdEfG.jpg").
    public var subject: String
    /// The attempt that failed, counting from 1.
    public var attempt: Int
    public var delay: TimeInterval
    public var reason: String
}

/// Runs an operation, retrying transient failures as its `RetryPolicy` says.
public struct Retrier: Sendable {
    public var policy: RetryPolicy
    public var onRetry: @Sendable (RetryEvent) -> Void

    public init(policy: RetryPolicy = RetryPolicy(), onRetry: @escaping @Sendable (RetryEvent) -> Void = { _ in }) {
        self.policy = policy
        self.onRetry = onRetry
    }

    /// Calls `operation` until it succeeds, fails for good, or runs out of attempts.
    /// - Parameter progress: a measure of work done (bytes on disk); an attempt that advanced it
    ///   does not count against `maxAttempts`, so a long download on a flaky link still finishes.
    public func run<T: Sendable>(
        _ subject: String, progress: () -> Int64 = { 0 }, _ operation: () async throws -> T
    ) async throws -> T {
        var failures = 0
        var lastProgress = progress()
        while true {
            do {
                return try await operation()
            } catch let error as any RetryableError where error.isTransient {
                let now = progress()
                if now > lastProgress {
                    failures = 0
                    lastProgress = now
                }
                failures += 1
                guard failures < policy.maxAttempts,
                    let wait = policy.delay(afterAttempt: failures, serverAsked: error.retryAfter)
                else { throw error }
                onRetry(RetryEvent(subject: subject, attempt: failures, delay: wait, reason: "\(error)"))
                try await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
            }
        }
    }
}
