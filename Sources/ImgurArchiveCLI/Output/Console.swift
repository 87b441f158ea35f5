import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where text goes: results on stdout, diagnostics and progress on stderr.
public struct Console: Sendable {
    /// Writes text to stdout as is (callers add newlines).
    public var out: @Sendable (String) -> Void
    /// Writes text to stderr as is.
    public var err: @Sendable (String) -> Void
    /// stderr is a terminal: a live status line may be drawn there.
    public var liveStatus: Bool
    /// stdout may be coloured (a terminal, and no NO_COLOR).
    public var color: Bool
    /// The terminal's width in columns now (it may be resized while a run goes on); nil if unknown.
    public var columns: @Sendable () -> Int? = { nil }

    public init(
        out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void, liveStatus: Bool = false,
        color: Bool = false
    ) {
        self.out = out
        self.err = err
        self.liveStatus = liveStatus
        self.color = color
    }

    /// The process's own stdout and stderr.
    public static func standard(environment: [String: String]) -> Console {
        let plain = environment["NO_COLOR"].map { !$0.isEmpty } ?? false || environment["TERM"] == "dumb"
        let lock = Mutex(())
        func writer(_ descriptor: Int32) -> @Sendable (String) -> Void {
            { text in
                lock.withLock { _ in
                    var bytes = Array(text.utf8)
                    var offset = 0
                    while offset < bytes.count {
                        let written = bytes.withUnsafeMutableBytes {
                            write(descriptor, $0.baseAddress! + offset, $0.count - offset)
                        }
                        if written < 0 && errno == EINTR { continue }
                        guard written > 0 else { return }
                        offset += written
                    }
                    bytes.removeAll()
                }
            }
        }
        var console = Console(
            out: writer(STDOUT_FILENO), err: writer(STDERR_FILENO),
            liveStatus: isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb",
            color: isatty(STDOUT_FILENO) == 1 && !plain)
        let fallback = environment["COLUMNS"].flatMap { Int($0) }
        console.columns = {
            var size = winsize()
            if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
            return fallback
        }
        return console
    }

    /// Collects everything in memory (tests).
    public static func capturing() -> (Console, CapturedOutput) {
        let captured = CapturedOutput()
        return (Console(out: { captured.append(out: $0) }, err: { captured.append(err: $0) }), captured)
    }
}

/// Text a `Console.capturing()` console received.
public final class CapturedOutput: Sendable {
    private let text = Mutex<(out: String, err: String)>(("", ""))

    public var out: String { text.withLock { $0.out } }
    public var err: String { text.withLock { $0.err } }

    func append(out: String) { text.withLock { $0.out += out } }
    func append(err: String) { text.withLock { $0.err += err } }
}
