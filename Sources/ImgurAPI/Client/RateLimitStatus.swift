import Foundation
import HTTPCore

/// The `X-RateLimit-*` and `X-Post-Rate-Limit-*` headers of one API answer (docs/imgur-api.md §6, §12).
public struct RateLimitStatus: Sendable, Equatable {
    public var clientLimit: Int64?
    public var clientRemaining: Int64?
    public var userLimit: Int64?
    public var userRemaining: Int64?
    /// `X-RateLimit-UserReset` is a unix time per the docs, but a 2025 answer gave a duration
    /// (`3600`): both are read (docs/imgur-api.md §12).
    public var userReset: Date?
    /// `X-RateLimit-ClientReset` (seen in 2025 answers) is a number of seconds.
    public var clientReset: Date?
    /// POSTs allowed per hour and address (`X-Post-Rate-Limit-Limit`, 1,250 in captures).
    public var postLimit: Int64?
    public var postRemaining: Int64?
    /// `X-Post-Rate-Limit-Reset` is a number of seconds from now, not a unix time.
    public var postReset: Date?

    public init(
        clientLimit: Int64? = nil, clientRemaining: Int64? = nil, userLimit: Int64? = nil,
        userRemaining: Int64? = nil, userReset: Date? = nil, clientReset: Date? = nil, postLimit: Int64? = nil,
        postRemaining: Int64? = nil, postReset: Date? = nil
    ) {
        self.postLimit = postLimit
        self.postRemaining = postRemaining
        self.postReset = postReset
        self.clientLimit = clientLimit
        self.clientRemaining = clientRemaining
        self.userLimit = userLimit
        self.userRemaining = userRemaining
        self.userReset = userReset
        self.clientReset = clientReset
    }

    /// Nil when the answer carries none of the headers. A value that is not a number in a plausible
    /// range (negative, or beyond `plausible`) is treated as absent: it can only be a broken header,
    /// and arithmetic on it must not overflow.
    public init?(headers: HTTPHeaders, now: Date = Date()) {
        func number(_ name: String) -> Int64? {
            headers[name].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.flatMap {
                Self.plausible.contains($0) ? $0 : nil
            }
        }
        clientLimit = number("x-ratelimit-clientlimit")
        clientRemaining = number("x-ratelimit-clientremaining")
        userLimit = number("x-ratelimit-userlimit")
        userRemaining = number("x-ratelimit-userremaining")
        userReset = number("x-ratelimit-userreset").map { value in
            // No unix time of this century is below a billion; a duration of that size is absurd.
            value < 1_000_000_000 ? now.addingTimeInterval(TimeInterval(value)) : Date(timeIntervalSince1970: TimeInterval(value))
        }
        clientReset = number("x-ratelimit-clientreset").map { now.addingTimeInterval(TimeInterval($0)) }
        postLimit = number("x-post-rate-limit-limit")
        postRemaining = number("x-post-rate-limit-remaining")
        postReset = number("x-post-rate-limit-reset").map { now.addingTimeInterval(TimeInterval($0)) }
        if clientLimit == nil, clientRemaining == nil, userLimit == nil, userRemaining == nil, userReset == nil,
            postLimit == nil, postRemaining == nil
        {
            return nil
        }
    }

    /// Counts, unix times and durations the headers can sensibly hold: up to the year 9999.
    static let plausible: ClosedRange<Int64> = 0...253_402_300_799
}
