import Foundation
import ImgurAPI
import TestSupport

@testable import ImgurArchive

/// A temporary storage directory, a fake Imgur, and a way to run the tool against them in-process.
final class Harness: @unchecked Sendable {
    // Each test owns its harness; nothing here is shared between tests.
    let imgur: FakeImgur
    let directory: String
    var environment: [String: String]
    /// Short waits, so tests run the retry logic without sleeping through it.
    static let defaultRetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05, maxServerDelay: 2, jitter: 0)
    var retryPolicy = Harness.defaultRetryPolicy
    var downloadSettings = DownloadSettings(idleTimeout: 5, deadline: 30)
    var reserve = RateLimitReserve(client: 10, user: 2)
    /// A fixed clock, so that two runs write byte-identical documents.
    var now = Date(timeIntervalSince1970: 1_790_000_000)

    init() throws {
        imgur = try FakeImgur()
        directory = try Self.makeTemporaryDirectory()
        environment = [
            "IMGUR_CLIENT_ID": FakeImgur.clientID, "IMGUR_API_BASE": imgur.apiBase, "HOME": directory,
            "NO_COLOR": "1",
        ]
    }

    deinit {
        imgur.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func makeTemporaryDirectory() throws -> String {
        let path = "\(NSTemporaryDirectory())imgur-archive-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    struct Result {
        let status: ExitCode
        let out: String
        let err: String
    }

    func run(_ arguments: [String]) async -> Result {
        let (console, captured) = Console.capturing()
        let fixed = now
        let context = RunContext(
            environment: environment, currentDirectory: directory, console: console, now: { fixed },
            retryPolicy: retryPolicy, downloadSettings: downloadSettings, reserve: reserve)
        let status = await ImgurArchiveTool.run(arguments, context: context)
        return Result(status: status, out: captured.out, err: captured.err)
    }

    func path(_ relative: String) -> String { "\(directory)/\(relative)" }

    func data(_ relative: String) -> Data? { FileManager.default.contents(atPath: path(relative)) }

    func json(_ relative: String) -> JSONValue? { data(relative).flatMap { try? JSONValue.parse($0) } }

    func write(_ text: String, to relative: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(relative)))
    }

    /// Every file under the storage directory, relative paths, sorted.
    func files() -> [String] { Self.files(in: directory) }

    static func files(in directory: String) -> [String] {
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
}
