import ImgurAPI

/// What the command line asks for.
public enum Command: Equatable, Sendable {
    case help
    case version
    /// Archive ids and URLs given as arguments, or every entry of links.txt.
    case archive(ArchiveOptions)
    /// `imgur-archive user NAME`: every album and gallery submission of an account.
    case user(name: String, ArchiveOptions)
    /// `imgur-archive verify [ID...]`: check the archive offline.
    case verify(VerifyOptions)
    /// `imgur-archive html`: write static HTML pages for reading the archive offline.
    case html(HTMLOptions)
}

/// How much the archiver prints.
public enum Verbosity: Int, Sendable, Comparable {
    case quiet, normal, verbose

    public static func < (lhs: Verbosity, rhs: Verbosity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What of an album to fetch.
public enum ArchiveScope: String, Sendable {
    /// The three documents and every media file.
    case everything
    /// Only the documents (`--metadata-only`): no media downloaded.
    case metadataOnly = "metadata-only"
    /// Only the media files (`--media-only`): no documents written.
    case mediaOnly = "media-only"
}

/// In which order an account's items are archived.
public enum AccountOrder: String, Sendable {
    /// Most recent first (the account's pages from the first), the default.
    case newestFirst = "newest-first"
    /// Oldest first (the pages walked, then archived from the last item back).
    case oldestFirst = "oldest-first"
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
    public var scope: ArchiveScope = .everything
    /// Keep gallery posts' comments in `comments_<ID>.json`.
    public var comments = false
    /// Walk every page of an account, not only until a page that is all archived.
    public var allPages = false
    public var order: AccountOrder = .newestFirst

    public static let defaultJobs = 8
    public static let maxJobs = 64

    public init(directory: String? = nil, inputs: [String] = []) {
        self.directory = directory
        self.inputs = inputs
    }
}

/// Options of `imgur-archive verify`.
public struct VerifyOptions: Equatable, Sendable {
    public var directory: String?
    /// Albums to check; empty means every album folder of the storage directory.
    public var ids: [String] = []
    /// Fetch what is missing or corrupt again.
    public var repair = false
    public var jobs = ArchiveOptions.defaultJobs
    public var verbosity: Verbosity = .normal

    public init(directory: String? = nil) {
        self.directory = directory
    }
}

/// Options of `imgur-archive html`.
public struct HTMLOptions: Equatable, Sendable {
    public var directory: String?
    public var verbosity: Verbosity = .normal

    public init(directory: String? = nil) {
        self.directory = directory
    }
}
