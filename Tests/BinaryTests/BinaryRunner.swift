import Foundation
import TestSupport

/// Runs the built `imgur-archive` executable the way a user (or cron) does.
enum BinaryRunner {
    /// Next to the test bundle in the build products folder (the test target depends on the
    /// executable target, so `swift test` builds it). `IMGUR_ARCHIVE_TEST_BINARY` names another
    /// build (a release one, for the figures docs/performance.md quotes).
    static var executable: String {
        if let other = ProcessInfo.processInfo.environment["IMGUR_ARCHIVE_TEST_BINARY"], !other.isEmpty { return other }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        // The runner may be inside `<name>.xctest/` or be the `.xctest` file itself.
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("imgur-archive").path),
            folder.path != "/"
        {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("imgur-archive").path
    }

    struct Result {
        let status: Int32
        let out: String
        let err: String
    }

    /// A started binary whose stdout and stderr are read as they come, so that a test can wait for
    /// what it prints (an event) instead of for a length of time.
    final class Running: @unchecked Sendable {
        let child: ChildProcess

        fileprivate init(_ child: ChildProcess) {
            self.child = child
        }

        var pid: Int32 { child.pid }
        var isRunning: Bool { child.isRunning }
        var stdout: String { child.stdout }
        var stderr: String { child.stderr }

        /// Waits until stderr contains `text` (or the process has ended).
        func waitForStderr(_ text: String, timeout: TimeInterval = 120) async -> Bool {
            _ = await whenTrue(timeout: timeout, { [child] in child.stderr.contains(text) || !child.isRunning })
            return stderr.contains(text)
        }

        /// The CPU time the process has used so far (user + system), from /proc.
        func cpuSeconds() -> Double? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { return nil }
            let fields = text[text.index(after: close)...].split(separator: " ")
            // After the command: state is field 3; utime and stime are fields 14 and 15.
            guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }

        func finish() async -> Result {
            let (status, out, err) = await child.finish()
            return Result(status: status, out: out, err: err)
        }
    }

    /// Starts the binary (or `launcher` with `arguments`, to wrap it in a shell).
    static func start(
        _ arguments: [String], environment: [String: String], directory: String, launcher: String? = nil, input: Data? = nil
    ) throws -> Running {
        Running(try ChildProcess(launcher ?? executable, arguments, environment: environment, directory: directory, input: input))
    }

    static func run(
        _ arguments: [String], environment: [String: String], directory: String, launcher: String? = nil
    ) async throws -> Result {
        try await start(arguments, environment: environment, directory: directory, launcher: launcher).finish()
    }
}
