import Foundation
import ImgurAPI
import Synchronization

/// How many API requests to leave untouched: Imgur blocks applications that drive their daily
/// quota to zero repeatedly, and other tools may share the client id.
public struct RateLimitReserve: Sendable, Equatable {
    /// Left of the application's daily `X-RateLimit-ClientRemaining`.
    public var client: Int64
    /// Left of the per-user (per-IP) hourly `X-RateLimit-UserRemaining`.
    public var user: Int64

    public init(client: Int64 = 250, user: Int64 = 10) {
        self.client = client
        self.user = user
    }
}

/// The API budget as the last answer reported it. A new album starts only while the remaining
/// requests, less one for every album already in flight, stay above the reserve.
final class RateLimitBudget: Sendable {
    struct Exhausted: Equatable {
        let reason: String
        let resetAt: Date?
    }

    private struct State {
        var latest: RateLimitStatus?
        var blocked: Exhausted?
    }

    private let reserve: RateLimitReserve
    private let state = Mutex(State())
    /// Fires with the first answer that carried rate-limit headers (or when the first album ended
    /// without one): until then the run sends only one request.
    let firstAnswer = OneShot()

    init(reserve: RateLimitReserve) {
        self.reserve = reserve
    }

    func update(_ status: RateLimitStatus) {
        state.withLock { $0.latest = status }
        firstAnswer.fire()
    }

    /// After a 429 that retries could not get past: no new album until the run ends.
    func block(_ reason: String, resetAt: Date?) {
        state.withLock { $0.blocked = $0.blocked ?? Exhausted(reason: reason, resetAt: resetAt) }
    }

    /// Nil when another album may start.
    func exhausted(inFlight: Int) -> Exhausted? {
        state.withLock { state in
            if let blocked = state.blocked { return blocked }
            guard let latest = state.latest else { return nil }
            let cost = Int64(inFlight) + 1
            if let remaining = latest.clientRemaining, remaining - cost < reserve.client {
                return Exhausted(
                    reason: "application budget down to \(remaining) of \(latest.clientLimit.map(String.init) ?? "?") requests (reserve \(reserve.client))",
                    resetAt: latest.clientReset)
            }
            if let remaining = latest.userRemaining, remaining - cost < reserve.user {
                return Exhausted(
                    reason: "hourly budget down to \(remaining) of \(latest.userLimit.map(String.init) ?? "?") requests (reserve \(reserve.user))",
                    resetAt: latest.userReset)
            }
            return nil
        }
    }
}
