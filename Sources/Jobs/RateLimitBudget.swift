import Foundation
import ImgurAPI
import Synchronization

/// How much of Imgur's allowance to leave untouched: Imgur blocks applications that drive their
/// daily quota to zero repeatedly, and other tools may share the client id (docs/imgur-api.md §6, §12).
public struct RateLimitReserve: Sendable, Equatable {
    /// Left of the application's daily `X-RateLimit-ClientRemaining`.
    public var client: Int64
    /// Left of the per-user (per-IP) hourly `X-RateLimit-UserRemaining`.
    public var user: Int64
    /// Left of the hourly `X-Post-Rate-Limit-Remaining`.
    public var posts: Int64

    public init(client: Int64 = 250, user: Int64 = 10, posts: Int64 = 10) {
        self.client = client
        self.user = user
        self.posts = posts
    }
}

/// What one unit of work costs Imgur, in the units its headers count.
public struct RequestCost: Sendable, Equatable {
    /// Credits of the client and user buckets (a GET costs 1, an upload 10).
    public var credits: Int64
    /// POSTs (each upload or album change is one).
    public var posts: Int64

    public init(credits: Int64, posts: Int64 = 0) {
        self.credits = credits
        self.posts = posts
    }

    /// One GET: an album, an image, a page of a listing.
    public static let read = RequestCost(credits: 1)
    /// One upload: 10 credits and a POST (docs/imgur-api.md §12).
    public static let upload = RequestCost(credits: 10, posts: 1)
}

/// The API budget as the last answer reported it. New work starts only while what remains, less
/// what the work already in flight will spend, stays above the reserve.
public final class RateLimitBudget: Sendable {
    public struct Exhausted: Equatable, Sendable {
        public let reason: String
        public let resetAt: Date?
    }

    private struct State {
        var latest: RateLimitStatus?
        var blocked: Exhausted?
    }

    private let reserve: RateLimitReserve
    private let state = Mutex(State())
    /// Fires with the first answer that carried rate-limit headers (or when the first item ended
    /// without one): until then a run sends only one request.
    public let firstAnswer = OneShot()

    public init(reserve: RateLimitReserve) {
        self.reserve = reserve
    }

    public func update(_ status: RateLimitStatus) {
        state.withLock { state in
            // POST headers come only on POSTs: a GET's answer keeps the last POST figures.
            var merged = status
            if merged.postRemaining == nil, let previous = state.latest {
                merged.postLimit = previous.postLimit
                merged.postRemaining = previous.postRemaining
                merged.postReset = previous.postReset
            }
            state.latest = merged
        }
        firstAnswer.fire()
    }

    /// After a 429 that retries could not get past: no new work until the run ends.
    public func block(_ reason: String, resetAt: Date?) {
        state.withLock { $0.blocked = $0.blocked ?? Exhausted(reason: reason, resetAt: resetAt) }
    }

    /// Nil when one more unit of `cost` may start, `inFlight` units of it being under way.
    public func exhausted(inFlight: Int, cost: RequestCost = .read) -> Exhausted? {
        state.withLock { state in
            if let blocked = state.blocked { return blocked }
            guard let latest = state.latest else { return nil }
            let credits = (Int64(inFlight) + 1) * cost.credits
            if let remaining = latest.clientRemaining, remaining - credits < reserve.client {
                return Exhausted(
                    reason: "application budget down to \(remaining) of \(latest.clientLimit.map(String.init) ?? "?") requests (reserve \(reserve.client))",
                    resetAt: latest.clientReset)
            }
            if let remaining = latest.userRemaining, remaining - credits < reserve.user {
                return Exhausted(
                    reason: "hourly budget down to \(remaining) of \(latest.userLimit.map(String.init) ?? "?") requests (reserve \(reserve.user))",
                    resetAt: latest.userReset)
            }
            if cost.posts > 0, let remaining = latest.postRemaining,
                remaining - (Int64(inFlight) + 1) * cost.posts < reserve.posts
            {
                return Exhausted(
                    reason: "hourly upload budget down to \(remaining) of \(latest.postLimit.map(String.init) ?? "?") POSTs (reserve \(reserve.posts))",
                    resetAt: latest.postReset)
            }
            return nil
        }
    }
}
