import ImgurAPI

/// What the command line asks for.
public enum Command: Equatable, Sendable {
    case help
    case version
    case archive(ArchiveOptions)
}

/// How much the archiver prints.
public enum Verbosity: Int, Sendable, Comparable {
    case quiet, normal, verbose

    public static func < (lhs: Verbosity, rhs: Verbosity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Options of an archiving run.
public struct ArchiveOptions: Equatable, Sendable {
    /// `-C` / `--dir`; nil for the current directory.
    public var directory: String?
    /// Album ids or URLs; empty means "read links.txt".
    public var inputs: [String] = []
    public var refresh = false
    public var jobs = ArchiveOptions.defaultJobs
    public var animated: AnimatedFormat = .gif
    public var wait = false
    public var verbosity: Verbosity = .normal

    public static let defaultJobs = 8
    public static let maxJobs = 64

    public init(directory: String? = nil, inputs: [String] = []) {
        self.directory = directory
        self.inputs = inputs
    }
}
