import Foundation

// A value guarded by an NSLock. Synchronization.Mutex would need no @unchecked, but on Linux it locks with
// raw futex calls that ThreadSanitizer cannot see, so every access through it is reported as a race
// (Swift 6.3.1, even for a four-thread counter); pthread-based NSLock keeps `swift test --sanitize=thread` clean.
// @unchecked is sound because `value` is only ever touched inside `withLock`, under `lock`.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Output>(_ body: (inout Value) throws -> Output) rethrows -> Output {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

extension Locked {
    /// The value now.
    public var current: Value { withLock { $0 } }
}
