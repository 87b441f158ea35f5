import Foundation
import Synchronization

/// `--limit-rate`: a token bucket shared by every transfer of a run, so that all of them together
/// stay under a number of bytes a second. `take` blocks the calling thread (a transport's own
/// thread, which then reads the socket no faster: TCP slows the sender down).
public final class ByteRate: Sendable {
    public let bytesPerSecond: Int64
    /// Bytes that may go at once after an idle spell: a fraction of a second's worth.
    private let burst: Double
    private let state: Mutex<(tokens: Double, last: TimeInterval)>
    private let clock: @Sendable () -> TimeInterval
    private let sleep: @Sendable (TimeInterval) -> Void

    public init(
        bytesPerSecond: Int64,
        clock: @escaping @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime },
        sleep: @escaping @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }
    ) {
        self.bytesPerSecond = max(1, bytesPerSecond)
        burst = max(16_384, Double(self.bytesPerSecond) / 4)
        self.clock = clock
        self.sleep = sleep
        state = Mutex((burst, clock()))
    }

    /// Takes `count` bytes' worth, waiting until the bucket has them.
    public func take(_ count: Int) {
        let wait: TimeInterval = state.withLock { bucket in
            let now = clock()
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.last) * Double(bytesPerSecond))
            bucket.last = now
            // Spent now, possibly into debt: a later caller waits for the debt to be paid off too.
            bucket.tokens -= Double(count)
            return bucket.tokens >= 0 ? 0 : -bucket.tokens / Double(bytesPerSecond)
        }
        if wait > 0 { sleep(wait) }
    }

    /// `500k`, `2M`, `1.5m`, `10000`: bytes a second; the suffixes k, m and g count 1024s (curl's
    /// `--limit-rate`). nil for anything else, and for zero.
    public static func parse(_ text: String) -> Int64? {
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit: Double = 1
        if let last = number.last, let power = ["k": 1, "m": 2, "g": 3][last.lowercased()] {
            unit = pow(1024, Double(power))
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(number),
            value.isFinite, value > 0, value * unit >= 1, value * unit < 1e15
        else { return nil }
        return Int64(value * unit)
    }
}
