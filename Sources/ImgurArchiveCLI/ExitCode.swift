/// The process exit statuses, documented in the README.
public enum ExitCode: Int32, Sendable {
    /// Everything asked for is in the archive.
    case success = 0
    /// Some albums failed, or some input could not be used.
    case failure = 1
    /// Bad options or arguments (sysexits EX_USAGE).
    case usage = 64
    /// Only temporary problems: rate limit, network, server errors, another run holding the lock.
    /// Run again later (EX_TEMPFAIL).
    case temporary = 75
    /// Missing or invalid credentials, settings, storage directory or catalog (EX_CONFIG).
    case configuration = 78
    /// Stopped by SIGINT.
    case interrupted = 130
    /// Stopped by SIGTERM.
    case terminated = 143
}
