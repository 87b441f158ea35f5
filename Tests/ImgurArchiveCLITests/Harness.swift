import Foundation
import TestSupport

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI
@testable import ImgurArchiveCLI
@testable import Jobs

/// A temporary storage directory, a fake Imgur, and a way to run the tool against them in-process.
final class Harness: ArchiveFixture, @unchecked Sendable {
    // Each test owns its harness; nothing here is shared between tests.
    var environment: [String: String]
    /// Short waits, so tests run the retry logic without sleeping through it.
    static let defaultRetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, maxServerDelay: 2, jitter: 0)
    var retryPolicy = Harness.defaultRetryPolicy
    var downloadSettings = DownloadSettings(idleTimeout: 5, deadline: 30)
    var reserve = RateLimitReserve(client: 10, user: 2)
    /// A fixed clock, so that two runs write byte-identical documents.
    var now = Date(timeIntervalSince1970: 1_790_000_000)
    /// Lines standard input gives, one per read; and whether it is a terminal (a prompt).
    var input: [String] = []
    var inputIsTerminal = false

    override init() throws {
        environment = [:]
        try super.init()
        environment = baseEnvironment.merging(["NO_COLOR": "1"]) { $1 }
    }

    static func makeTemporaryDirectory() throws -> String { try TestSupport.makeTemporaryDirectory() }

    static func files(in directory: String) -> [String] { filesBelow(directory) }

    struct Result {
        let status: ExitCode
        let out: String
        let err: String
    }

    func run(_ arguments: [String]) async -> Result {
        let (console, captured) = Console.capturing()
        let fixed = now
        var context = RunContext(
            environment: environment, currentDirectory: directory, console: console, now: { fixed },
            retryPolicy: retryPolicy, downloadSettings: downloadSettings, reserve: reserve)
        let lines = Locked(input)
        context.readLine = { lines.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
        let terminal = inputIsTerminal
        context.inputIsTerminal = { terminal }
        context.uploadTimeouts = (5, 60)
        context.firstProcessingPoll = 0.05
        let status = await ImgurArchiveTool.run(arguments, context: context)
        return Result(status: status, out: captured.out, err: captured.err)
    }
}
