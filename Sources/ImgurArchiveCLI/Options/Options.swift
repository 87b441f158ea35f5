import ArchiveFormat
import Archiver

/// What the command line asks for: the options every command shares and the command itself.
public struct Invocation: Equatable, Sendable {
    public var global = GlobalOptions()
    public var command: Command

    public init(global: GlobalOptions = GlobalOptions(), command: Command) {
        self.global = global
        self.command = command
    }
}

/// The commands, each with its own options.
public enum Command: Equatable, Sendable {
    /// `--help`, `COMMAND --help`, `help [COMMAND]`: the help of a command, or the overview (nil).
    case help(CommandName?)
    case version
    /// Archive ids and URLs given as arguments, or every entry of links.txt.
    case archive(ArchiveOptions)
    /// `imgur-archive user NAME`: every album and gallery submission of an account.
    case user(name: String, ArchiveOptions)
    /// `imgur-archive verify [ID...]`: check the archive offline.
    case verify(VerifyOptions)
    /// `imgur-archive html`: write static HTML pages for reading the archive offline.
    case html
    /// `imgur-archive merge SRC... [--into DST]`: shard directories into one archive.
    case merge(MergeOptions)
    case upload(UploadOptions)
    /// `imgur-archive restore ID|DIR...`: archived albums back on Imgur.
    case restore(RestoreOptions)
    /// `imgur-archive sync`: the folders of sync.txt in step with their albums.
    case sync(SyncOptions)
    case jobs(ListOptions)
    case uploads(ListOptions)
    case delete(DeleteOptions)
    case login(LoginOptions)
    case logout
    case serve(ServeOptions)
}

/// How much a command prints.
public enum Verbosity: Int, Sendable, Comparable {
    case quiet, normal, verbose

    public static func < (lhs: Verbosity, rhs: Verbosity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The options every command shares.
public struct GlobalOptions: Equatable, Sendable {
    /// `-C` / `--dir`; nil for the current directory.
    public var directory: String?
    /// Transfers (or, for verify, albums) at once.
    public var jobs = GlobalOptions.defaultJobs
    public var verbosity: Verbosity = .normal
    /// Wait for another run on the storage directory instead of exiting with 75.
    public var wait = false
    /// `--limit-rate`: bytes a second for all downloads together; nil for no limit.
    public var limitRate: Int64?

    public static let defaultJobs = 8
    public static let maxJobs = 64

    public init(directory: String? = nil) {
        self.directory = directory
    }
}

/// Options of an archiving run (the default command and `user`).
public struct ArchiveOptions: Equatable, Sendable {
    /// Album ids or URLs; with `inputFiles`, empty means "read links.txt".
    public var inputs: [String] = []
    /// `-i FILE`: files listing ids and URLs (`-` for stdin), read instead of links.txt.
    public var inputFiles: [String] = []
    /// `--dry-run`: say what would be archived; ask nothing of Imgur, write nothing.
    public var dryRun = false
    public var refresh = false
    public var animated: AnimatedFormat = .gif
    public var scope: ArchiveScope = .everything
    /// Keep gallery posts' comments in `comments_<ID>.json`.
    public var comments = false
    /// Walk every page of an account, not only until a page that is all archived.
    public var allPages = false
    public var order: AccountOrder = .newestFirst
    /// `user me --list`: list what the account holds, download nothing (`--json`: as JSON lines).
    public var listOnly = false
    public var json = false
    /// `--shard K/N`; `--shards N` (the count for `JOB_COMPLETION_INDEX`); `--no-shard`.
    public var shard: Shard?
    public var shards: Int?
    public var noShard = false

    public init(inputs: [String] = []) {
        self.inputs = inputs
    }

    /// The request the read side works from.
    func request(jobs: Int) -> ArchiveRequest {
        var request = ArchiveRequest()
        request.refresh = refresh
        request.checkKeptFiles = refresh
        request.scope = scope
        request.animated = animated
        request.comments = comments
        request.allPages = allPages
        request.order = order
        request.jobs = jobs
        return request
    }
}

/// Options of `imgur-archive verify`.
public struct VerifyOptions: Equatable, Sendable {
    /// Albums to check; empty means every album folder of the storage directory.
    public var ids: [String] = []
    /// Fetch what is missing or corrupt again.
    public var repair = false

    public init(ids: [String] = [], repair: Bool = false) {
        self.ids = ids
        self.repair = repair
    }
}
