import Foundation

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON

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

    /// Starts the binary (or `launcher` with `arguments`, to wrap it in a shell).
    static func start(
        _ arguments: [String], environment: [String: String], directory: String, launcher: String? = nil
    ) throws -> (Process, Pipe, Pipe) {
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
        return (process, out, err)
    }

    static func run(
        _ arguments: [String], environment: [String: String], directory: String, launcher: String? = nil
    ) async throws -> Result {
        let (process, out, err) = try start(arguments, environment: environment, directory: directory, launcher: launcher)
        return await finish(process, out, err)
    }

    static func finish(_ process: Process, _ out: Pipe, _ err: Pipe) async -> Result {
        // The waits block, so they run on dispatch threads: on the cooperative pool (one thread per
        // core) two of them would stall every other test of the run, including ones that must act
        // while their own binary is still running. Both pipes are read at once, so a chatty run
        // cannot fill one and block.
        await withCheckedContinuation { continuation in
            let group = DispatchGroup()
            let outBox = DataBox()
            let errBox = DataBox()
            DispatchQueue.global().async(group: group) { outBox.data = out.fileHandleForReading.readDataToEndOfFile() }
            DispatchQueue.global().async(group: group) { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
            group.notify(queue: .global()) {
                process.waitUntilExit()
                continuation.resume(
                    returning: Result(
                        status: process.terminationStatus, out: String(decoding: outBox.data, as: UTF8.self),
                        err: String(decoding: errBox.data, as: UTF8.self)))
            }
        }
    }

    /// One pipe's bytes, written by its reader before the group's notify reads it.
    private final class DataBox: @unchecked Sendable {
        var data = Data()
    }
}
