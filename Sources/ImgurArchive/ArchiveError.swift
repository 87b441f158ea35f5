import Foundation
import ImgurAPI

/// What stops the archiver, with the path or value the user needs to fix it.
public enum ArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bad options or arguments (exit 64).
    case usage(String)
    /// No client id anywhere we looked (exit 78).
    case missingCredentials(searched: [String])
    /// A credentials file exists but cannot be used (exit 78).
    case invalidCredentials(path: String, reason: String)
    /// Another setting is wrong, such as `IMGUR_API_BASE` (exit 78).
    case configuration(String)
    /// The storage directory is missing or unusable (exit 78).
    case storage(path: String, reason: String)
    /// `scraping_logs.json` cannot be read safely; it is left untouched (exit 78).
    case invalidCatalog(path: String, line: Int, reason: String)
    /// Reading a file failed.
    case read(path: String, reason: String)
    /// Writing a file failed: disk full, permissions, I/O error. Stops the run.
    case write(path: String, reason: String)
    /// Another run holds the storage directory's lock (exit 75).
    case locked(path: String, pid: Int32?)
    /// The server answered a media request with something that is not the media (exit 1).
    case notMedia(url: String, reason: String)
    /// The server's answer to a resumed request does not continue our partial file.
    case resumeMismatch(url: String, reason: String)
    /// A media request got an HTTP status we cannot use.
    case mediaStatus(url: String, status: Int, retryAfter: TimeInterval?)

    public var description: String {
        switch self {
        case .usage(let message):
            return message
        case .missingCredentials(let searched):
            return """
                no Imgur client id found (looked in IMGUR_CLIENT_ID, \(searched.joined(separator: ", "))). \
                Register an application at https://api.imgur.com/oauth2/addclient ("anonymous usage without \
                user authorization"), then put its client id in api_secrets.json in the storage directory \
                (copy api_secrets.TEMPLATE.json) or set IMGUR_CLIENT_ID
                """
        case .invalidCredentials(let path, let reason):
            return "cannot use credentials file \(path): \(reason)"
        case .configuration(let message):
            return message
        case .storage(let path, let reason):
            return "storage directory \(path): \(reason)"
        case .invalidCatalog(let path, let line, let reason):
            return "\(path) line \(line): \(reason); the file was left untouched, fix or move it and run again"
        case .read(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .write(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .locked(let path, let pid):
            let who = pid.map { "another imgur-archive run (pid \($0))" } ?? "another imgur-archive run"
            return "\(who) is using \(path); try again when it has finished, or pass --wait"
        case .notMedia(let url, let reason):
            return "\(url) did not return media: \(reason)"
        case .resumeMismatch(let url, let reason):
            return "cannot resume \(url): \(reason)"
        case .mediaStatus(let url, let status, _):
            return "\(url) answered HTTP \(status)"
        }
    }
}

extension ArchiveError: RetryableError {
    public var isTransient: Bool {
        switch self {
        case .resumeMismatch: return true
        case .mediaStatus(_, let status, _): return status == 403 || status == 408 || status == 429 || status >= 500
        default: return false
        }
    }

    public var retryAfter: TimeInterval? {
        if case .mediaStatus(_, _, let retryAfter) = self { return retryAfter }
        return nil
    }
}

extension ArchiveError {
    /// `.write` from an `errno` value.
    static func write(_ path: String, errno code: Int32) -> ArchiveError {
        .write(path: path, reason: String(cString: strerror(code)))
    }

    static func read(_ path: String, errno code: Int32) -> ArchiveError {
        .read(path: path, reason: String(cString: strerror(code)))
    }
}

extension ArchiveError {
    /// The exit status this error ends a run with (README, "Exit status").
    public var exitCode: ExitCode {
        switch self {
        case .usage: return .usage
        case .locked: return .temporary
        case .missingCredentials, .invalidCredentials, .configuration, .storage, .invalidCatalog: return .configuration
        default: return .failure
        }
    }

    /// Prints the error the way its kind is printed (usage errors with the usage line) and
    /// returns its exit status.
    func report(to reporter: Reporter, console: Console) -> ExitCode {
        reporter.clearStatus()
        if case .usage(let message) = self {
            console.err("Error: \(message)\n\(Usage.line)\n")
        } else {
            reporter.error("\(self)")
        }
        return exitCode
    }
}
