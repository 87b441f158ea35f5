import Foundation

/// A URL from a literal in a test table; a typo there is a bug in the test itself.
public func testURL(_ text: String) -> URL {
    guard let url = URL(string: text) else { fatalError("test table holds an invalid URL: \(text)") }
    return url
}

/// Runs `body`, failing with `TimedOut` if it has not finished after `seconds`: a hang becomes a failure.
public struct TimedOut: Error {}

public func withTimeout<T: Sendable>(
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

/// A new, empty directory of its own under the temporary folder.
public func makeTemporaryDirectory(_ prefix: String = "imgur-archive-test") throws -> String {
    let path = "\(NSTemporaryDirectory())\(prefix)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every file under `directory`, relative paths, sorted.
public func filesBelow(_ directory: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: directory)
    var result: [String] = []
    while let next = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "\(directory)/\(next)", isDirectory: &isDirectory),
            !isDirectory.boolValue
        {
            result.append(next)
        }
    }
    return result.sorted()
}
