import Foundation
import TestSupport

/// Runs the built `imgur-archive` executable the way a user (or cron) does.
enum BinaryRunner {
    /// Next to the test bundle in the build products folder (the test target depends on the
    /// executable target, so `swift test` builds it).
    static var executable: String {
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
        // `process` is only read after `run()`; the two buffers sit behind their locks.
        let process: Process
        private let out = Locked(Data())
        private let err = Locked(Data())
        private let done = DispatchGroup()

        fileprivate init(_ process: Process, out outPipe: Pipe, err errPipe: Pipe) {
            self.process = process
            for (pipe, buffer) in [(outPipe, out), (errPipe, err)] {
                done.enter()
                // A thread of its own per pipe: blocking reads, never on the cooperative pool.
                Thread.detachNewThread { [done] in
                    let handle = pipe.fileHandleForReading
                    while true {
                        let chunk = handle.availableData
                        if chunk.isEmpty { break }
                        buffer.withLock { $0.append(chunk) }
                    }
                    done.leave()
                }
            }
        }

        var pid: Int32 { process.processIdentifier }
        var stdout: String { String(decoding: out.current, as: UTF8.self) }
        var stderr: String { String(decoding: err.current, as: UTF8.self) }

        /// Waits until stderr contains `text` (or the process has ended).
        func waitForStderr(_ text: String, timeout: TimeInterval = 120) async -> Bool {
            await waitUntil(timeout: timeout) { stderr.contains(text) || !process.isRunning }
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
            await withCheckedContinuation { continuation in
                done.notify(queue: .global()) { [self] in
                    process.waitUntilExit()
                    continuation.resume(returning: Result(status: process.terminationStatus, out: stdout, err: stderr))
                }
            }
        }
    }

    /// Starts the binary (or `launcher` with `arguments`, to wrap it in a shell).
    static func start(
        _ arguments: [String], environment: [String: String], directory: String, launcher: String? = nil
    ) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher ?? executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return Running(process, out: out, err: err)
    }

    static func run(
        _ arguments: [String], environment: [String: String], directory: String, launcher: String? = nil
    ) async throws -> Result {
        try await start(arguments, environment: environment, directory: directory, launcher: launcher).finish()
    }
}
