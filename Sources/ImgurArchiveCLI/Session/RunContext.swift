import Foundation
import Archiver
import HTTPCore
import ImgurAPI
import Jobs

/// Everything a run takes from outside the process's arguments: environment, directory, output,
/// clock and the tunables tests shorten (backoff, timeouts).
public struct RunContext: Sendable {
    public var environment: [String: String]
    public var currentDirectory: String
    public var console: Console
    public var now: @Sendable () -> Date
    public var retryPolicy: RetryPolicy
    public var downloadSettings: DownloadSettings
    public var reserve: RateLimitReserve
    /// Uploads: how long an upload's answer may keep silent, and take in all (the server may work a
    /// minute after the last byte); how soon a processing video is first looked at again.
    public var uploadTimeouts: (idle: TimeInterval, deadline: TimeInterval) = (180, 3_600)
    public var firstProcessingPoll: TimeInterval = 2
    /// Reads one line of standard input (a refresh token, a redirected URL, a yes); nil at its end.
    public var readLine: @Sendable () -> String? = { Swift.readLine(strippingNewline: true) }
    /// Whether standard input is a terminal (a prompt can be answered there).
    public var inputIsTerminal: @Sendable () -> Bool = { isatty(STDIN_FILENO) == 1 }

    public init(
        environment: [String: String], currentDirectory: String, console: Console,
        now: @escaping @Sendable () -> Date = { Date() }, retryPolicy: RetryPolicy = RetryPolicy(),
        downloadSettings: DownloadSettings = DownloadSettings(), reserve: RateLimitReserve = RateLimitReserve()
    ) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.console = console
        self.now = now
        self.retryPolicy = retryPolicy
        self.downloadSettings = downloadSettings
        self.reserve = reserve
    }

    /// The real process: its environment, working directory, stdout and stderr.
    ///
    /// With `SOURCE_DATE_EPOCH` set (the reproducible-builds convention), every timestamp written
    /// into the archive is that time, so the same input gives byte-identical archives.
    public static func process() -> RunContext {
        let environment = ProcessInfo.processInfo.environment
        var context = RunContext(
            environment: environment, currentDirectory: FileManager.default.currentDirectoryPath,
            console: .standard(environment: environment))
        if let text = environment["SOURCE_DATE_EPOCH"], let seconds = Int64(text), seconds >= 0 {
            let fixed = Date(timeIntervalSince1970: TimeInterval(seconds))
            context.now = { fixed }
        }
        return context
    }
}
