import Foundation
import Testing

@testable import ImgurAPI

/// A URL from a literal in a test table; a typo there is a bug in the test itself.
func testURL(_ text: String) -> URL {
    guard let url = URL(string: text) else { fatalError("test table holds an invalid URL: \(text)") }
    return url
}

/// A value shared between tasks in a test, behind a lock.
final class Shared<Value: Sendable>: @unchecked Sendable {
    // Only touched inside `withLock`, under `lock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Output>(_ body: (inout Value) throws -> Output) rethrows -> Output {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

/// Runs `body`, failing with `TimedOut` if it has not finished after `seconds`: a hang becomes a failure.
struct TimedOut: Error {}

func withTimeout<T: Sendable>(
    _ seconds: TimeInterval, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut() }
        return value
    }
}
