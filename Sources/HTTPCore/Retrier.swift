import Foundation

/// An error that may go away if the request is tried again later.
public protocol RetryableError: Error {
    var isTransient: Bool { get }
    /// The wait the server asked for, when it did.
    var retryAfter: TimeInterval? { get }
    /// True only when the error shows that the server did not act on the request (no connection
    /// was ever made, or the server refused it before doing anything, as a 429 does). Only such
    /// failures of a request that is not safe to repeat (an upload) are retried.
    var provesRequestNotProcessed: Bool { get }
}

extension RetryableError {
    public var provesRequestNotProcessed: Bool { false }
}

/// A retry about to happen, for the user to see.
public struct RetryEvent: Sendable, Equatable {
    /// What is being retried ("album q6i58", "q6i58/AbCdEfG.jpg").
    public var subject: String
    /// The attempt that failed, counting from 1.
    public var attempt: Int
    public var delay: TimeInterval
    public var reason: String

    public init(subject: String, attempt: Int, delay: TimeInterval, reason: String) {
        self.subject = subject
        self.attempt = attempt
        self.delay = delay
        self.reason = reason
    }
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
    /// - Parameters:
    ///   - repeatable: whether the operation may be sent again after a failure that leaves open
    ///     whether the server acted on it (`HTTPRequest.isIdempotent`). A POST that may have
    ///     reached Imgur is never repeated blindly: it is retried only after failures that prove
    ///     it was not processed (`RetryableError.provesRequestNotProcessed`).
    ///   - progress: a measure of work done (bytes on disk); an attempt that advanced it does not
    ///     count against `maxAttempts`, so a long download on a flaky link still finishes.
    public func run<T: Sendable>(
        _ subject: String, repeatable: Bool = true, progress: () -> Int64 = { 0 }, _ operation: () async throws -> T
    ) async throws -> T {
        var failures = 0
        var lastProgress = progress()
        while true {
            do {
                return try await operation()
            } catch let error as any RetryableError where error.isTransient
                && (repeatable || error.provesRequestNotProcessed)
            {
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
