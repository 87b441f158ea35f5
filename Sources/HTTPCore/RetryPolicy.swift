import Foundation

/// How long to wait before trying a failed request again: capped exponential backoff with jitter,
/// a server's `Retry-After` honoured up to a cap.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    public var baseDelay: TimeInterval
    /// No computed backoff is longer than this.
    public var maxDelay: TimeInterval
    /// A server's `Retry-After` (or rate-limit reset) longer than this is not waited for: the
    /// request fails and the run reports it as temporary.
    public var maxServerDelay: TimeInterval
    /// Fraction of each backoff that is randomised (0...1), so parallel retries spread out.
    public var jitter: Double

    public init(
        maxAttempts: Int = 5, baseDelay: TimeInterval = 1, maxDelay: TimeInterval = 30,
        maxServerDelay: TimeInterval = 120, jitter: Double = 0.5
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
        self.maxServerDelay = max(0, maxServerDelay)
        self.jitter = min(1, max(0, jitter))
    }

    /// Waits of zero length: for tests of the retry logic itself.
    public static let immediate = RetryPolicy(baseDelay: 0, maxDelay: 0, maxServerDelay: 0, jitter: 0)

    /// The wait before attempt `attempt + 1` (attempts count from 1), or nil when the server asked
    /// for a longer wait than `maxServerDelay`.
    public func delay(afterAttempt attempt: Int, serverAsked: TimeInterval?) -> TimeInterval? {
        if let serverAsked {
            guard serverAsked <= maxServerDelay else { return nil }
            return max(0, serverAsked)
        }
        let exponential = baseDelay * pow(2, Double(max(0, attempt - 1)))
        let capped = min(maxDelay, exponential)
        return capped * (1 - jitter) + capped * jitter * Double.random(in: 0...1)
    }

    /// Parses `Retry-After`: delay-seconds or an HTTP date.
    public static func retryAfter(_ value: String?, now: Date = Date()) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        // Clamped to a century, so that no later arithmetic or formatting on it can overflow.
        if let seconds = Int64(value) { return TimeInterval(min(max(0, seconds), 3_155_760_000)) }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: value) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
