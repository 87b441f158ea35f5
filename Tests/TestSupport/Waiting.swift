import Foundation

/// Seconds elapsed since `start`.
public func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes. The limit is generous: it
/// costs nothing when the condition holds, and a loaded machine is slow.
public func waitUntil(timeout: TimeInterval = 120, _ condition: () -> Bool) async -> Bool {
    let start = ContinuousClock.now
    while seconds(since: start) < timeout {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}
