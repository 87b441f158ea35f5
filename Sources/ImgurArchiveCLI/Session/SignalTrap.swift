import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM cancel the run instead of killing the process: scheduling stops, transfers
/// in flight are cancelled with their partial files kept for resuming, finished albums are recorded,
/// and the summary is printed. A second signal exits at once.
public final class SignalTrap: Sendable {
    private let state = Mutex<Int32?>(nil)
    // DispatchSource is thread-safe; it is only kept alive here.
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []

    public init(onSignal: @escaping @Sendable (Int32) -> Void) {
        // A closed stdout (`| head -1`) must not kill the run with the work in flight: writes to it
        // fail with EPIPE instead, and the run finishes what it does.
        Glibc.signal(SIGPIPE, SIG_IGN)
        for number in [SIGINT, SIGTERM] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            // The trap and its sources live as long as the process: the cycle is intended.
            source.setEventHandler { [self] in
                let first = state.withLock { state -> Bool in
                    defer { state = state ?? number }
                    return state == nil
                }
                if first {
                    onSignal(number)
                } else {
                    _exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, if any.
    public var received: Int32? { state.withLock { $0 } }
}
