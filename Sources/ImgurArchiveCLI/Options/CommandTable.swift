import ArchiveFormat
import Jobs
import Archiver

/// The command words.
public enum CommandName: String, CaseIterable, Sendable {
    /// No word: archive ids, URLs or links.txt.
    case archive
    case user, verify, html
    /// Scale-out (docs/scale-out.md).
    case merge
    /// The write side (docs/upload-jobs.md).
    case upload, jobs, uploads, delete, login, logout, serve
    /// Putting archived albums back (docs/restore-and-sync.md).
    case restore, sync
    /// `help [COMMAND]`: the help of a command, or the overview.
    case help

    /// The word that names the command on the command line (nil for the default one).
    var word: String? { self == .archive ? nil : rawValue }

    /// The command words, for messages.
    static var words: [String] { allCases.compactMap(\.word) }
}

/// One option: its names, its value, its help, the commands it applies to and what it sets. The
/// parser, every `--help` and the README's option list come from this one table, so a command
/// cannot drift from its help.
struct OptionSpec: Sendable {
    /// `-j`, `--jobs`: the short name (if any) first.
    let names: [String]
    /// `<n>` for an option that takes a value; nil for a flag.
    let value: String?
    let help: [String]
    /// The commands it applies to; every command when nil (a global option).
    let commands: Set<CommandName>?
    /// Whether the config file may set it (not `--help`, `--version`, `--no-config`).
    var inConfigFile = true
    let apply: @Sendable (inout Parsed, _ name: String, _ value: String?) throws(CommandError) -> Void

    func applies(to command: CommandName) -> Bool { commands?.contains(command) ?? true }
    /// The long name: what the parser records an option as, whichever name was used.
    var canonical: String { names.last ?? "" }
}

/// What the parser has read so far, before it is checked against its command.
struct Parsed: Sendable {
    var global = GlobalOptions()
    var archive = ArchiveOptions()
    var verify = VerifyOptions()
    var upload = UploadOptions()
    var restore = RestoreOptions()
    var sync = SyncOptions()
    var merge = MergeOptions()
    var list = ListOptions()
    var delete = DeleteOptions()
    var login = LoginOptions()
    var serve = ServeOptions()
    var help = false
    var version = false
    /// Flags whose combination is checked once everything is read (by their long names).
    var flags: Set<String> = []
    /// Every option given, by its long name: the config file only sets what the command line did not.
    var given: Set<String> = []

    /// Takes the config file's settings (already checked) where the command line gave nothing of
    /// the same kind (`--quiet` on the command line overrides `--verbose` in the file).
    mutating func adopt(_ settings: [ConfigSetting]) throws(CommandError) {
        for setting in settings {
            let siblings = Usage.exclusive.first { $0.contains(setting.option.canonical) } ?? [setting.option.canonical]
            guard given.isDisjoint(with: siblings) else { continue }
            try setting.option.apply(&self, setting.name, setting.value)
        }
    }
}

/// One option from the config file, checked against the option table.
struct ConfigSetting: Sendable {
    let option: OptionSpec
    let name: String
    let value: String?
}

/// One command: its usage line and what it does.
struct CommandSpec: Sendable {
    let name: CommandName
    let usage: String
    let abstract: [String]
}

/// Help and version text, generated from the tables.
public enum Usage {
    public static let version = "0.1.0"
    public static let line = "USAGE: imgur-archive [<options>] [<id-or-url> ...] | <command> [<options>] [<argument> ...]"

    /// Options that contradict each other (long names).
    static let exclusive: [[String]] = [
        ["--quiet", "--verbose"], ["--metadata-only", "--media-only"], ["--newest-first", "--oldest-first"],
        ["--shard", "--no-shard"],
    ]

    static let commands: [CommandSpec] = [
        CommandSpec(
            name: .archive, usage: "[<id-or-url> ...]",
            abstract: [
                "Archive albums and images: ids or Imgur URLs (imgur.com/a/ID,",
                "/a/title-ID, /gallery/ID, /t/TAG/ID, imgur.com/ID,",
                "i.imgur.com/ID.jpg, imgur.com/user/NAME). Without any, every",
                "entry of links.txt in the storage directory is archived.",
            ]),
        CommandSpec(
            name: .user, usage: "user <name>",
            abstract: [
                "Archive every album and gallery submission of an account. A",
                "rerun stops at the first page where everything is archived.",
                "user me (with a login): hidden and secret albums too.",
            ]),
        CommandSpec(
            name: .verify, usage: "verify [<id> ...]",
            abstract: [
                "Check the archive offline: every file against its SHA-256,",
                "every document, files that belong to nothing. Exit 0 only when",
                "everything is intact.",
            ]),
        CommandSpec(
            name: .html, usage: "html",
            abstract: [
                "Write index.html and one page per album, to read the archive in",
                "a browser without Imgur (nothing is loaded from the network).",
            ]),
        CommandSpec(
            name: .merge, usage: "merge <dir> ... [--into <dir>]",
            abstract: [
                "Bring shard storage directories (docs/scale-out.md) into one",
                "archive: folders moved or copied and verified, catalogs combined,",
                "an album in two kept once (the complete, then the newer one).",
            ]),
        CommandSpec(
            name: .upload, usage: "upload <file> ...",
            abstract: [
                "Upload images and videos (files, folders in name order, URLs)",
                "as a job that survives anything (--resume <job> finishes it):",
                "anonymous unless logged in (docs/upload-jobs.md).",
            ]),
        CommandSpec(
            name: .restore, usage: "restore <id-or-folder> ...",
            abstract: [
                "Put an archived album back on Imgur as a new album, in order,",
                "with its texts, privacy and cover, then read it back and compare",
                "(docs/restore-and-sync.md). Resumable; --dry-run shows the plan.",
            ]),
        CommandSpec(
            name: .sync, usage: "sync",
            abstract: [
                "Keep the folders listed in sync.txt in step with their albums, by",
                "content: new files uploaded, moves and renames followed, deletions",
                "kept on Imgur unless --delete (docs/restore-and-sync.md).",
            ]),
        CommandSpec(
            name: .jobs, usage: "jobs [<job>]",
            abstract: ["List the upload jobs of this storage directory, or show one."]),
        CommandSpec(
            name: .uploads, usage: "uploads",
            abstract: ["List every image ever uploaded from here: id, link, source."]),
        CommandSpec(
            name: .delete, usage: "delete <job-or-id> ...",
            abstract: ["Delete what a job (or these images) uploaded, by deletehash."]),
        CommandSpec(
            name: .login, usage: "login",
            abstract: [
                "Log in with a refresh token you hold (--refresh-token -, from",
                "stdin), or through Imgur's page (closed since 2025); --status.",
            ]),
        CommandSpec(name: .logout, usage: "logout", abstract: ["Forget the login (remove its token file)."]),
        CommandSpec(
            name: .serve, usage: "serve [--port <n>]",
            abstract: ["Serve the upload API (docs/http-api.md) on 127.0.0.1."]),
        CommandSpec(
            name: .help, usage: "help [<command>]",
            abstract: ["Show this help, or the help of one command (also: <command> --help)."]),
    ]

    static let archiving: Set<CommandName> = [.archive, .user]
    /// Commands that send to Imgur or read its answers (`--limit-rate` does not apply to the rest).

    static let options: [OptionSpec] = [
        OptionSpec(
            names: ["-C", "--dir"], value: "<dir>", help: ["Storage directory (default: the current directory)."],
            commands: nil, apply: { parsed, _, value in parsed.global.directory = value }),
        OptionSpec(
            names: ["-j", "--jobs"], value: "<n>",
            help: [
                "Transfers at once (downloads; uploads, at most 8; for verify,", "albums), 1 to \(GlobalOptions.maxJobs) (default: \(GlobalOptions.defaultJobs)).",
            ],
            commands: nil,
            apply: { (parsed, name, value) throws(CommandError) in
                guard let value, let jobs = Int(value), (1...GlobalOptions.maxJobs).contains(jobs) else {
                    throw .usage("'\(name)' takes a number from 1 to \(GlobalOptions.maxJobs), not '\(value ?? "")'")
                }
                parsed.global.jobs = jobs
            }),
        OptionSpec(
            names: ["-i", "--input-file"], value: "<file>",
            help: ["Archive the ids and URLs listed in <file> (one per line, as in", "links.txt; - for stdin) instead of links.txt. May be repeated."],
            commands: [.archive], apply: { parsed, _, value in parsed.archive.inputFiles.append(value ?? "") }),
        OptionSpec(
            names: ["--dry-run"], value: nil,
            help: [
                "Say what would be archived, from the catalog and the inputs:", "nothing is asked of Imgur, nothing is written. restore: the",
                "plan and its credit cost; nothing is sent. sync: every",
                "operation it would carry out; nothing changes.",
            ],
            commands: archiving.union([.restore, .sync]), apply: { parsed, _, _ in parsed.archive.dryRun = true }),
        OptionSpec(
            names: ["--limit-rate"], value: "<rate>",
            help: ["Download at most <rate> bytes a second in all (suffixes k, m, g", "count 1024s, as curl's: 500k, 2M)."],
            commands: [.archive, .user, .verify],
            apply: { (parsed, name, value) throws(CommandError) in
                guard let value, let rate = ByteRate.parse(value) else {
                    throw .usage("'\(name)' takes a rate such as 500k or 2M, not '\(value ?? "")'")
                }
                parsed.global.limitRate = rate
            }),
        OptionSpec(
            names: ["--shard"], value: "<k/n>",
            help: ["Archive only shard k of n (0 <= k < n): the entries whose id", "hashes to k (docs/scale-out.md). Default: the task index of a", "Slurm job array or a Kubernetes Indexed Job, if any."],
            commands: archiving,
            apply: { (parsed, name, value) throws(CommandError) in
                guard let value, let shard = Shard(value) else {
                    throw .usage("'\(name)' takes k/n with 0 <= k < n, such as 2/8, not '\(value ?? "")'")
                }
                parsed.archive.shard = shard
            }),
        OptionSpec(
            names: ["--shards"], value: "<n>", help: ["How many shards a Kubernetes Indexed Job's JOB_COMPLETION_INDEX", "counts from (or IMGUR_ARCHIVE_SHARDS)."],
            commands: archiving,
            apply: { (parsed, name, value) throws(CommandError) in
                guard let value, let count = Int(value), count >= 1 else { throw .usage("'\(name)' takes a number from 1, not '\(value ?? "")'") }
                parsed.archive.shards = count
            }),
        OptionSpec(
            names: ["--no-shard"], value: nil, help: ["Archive every entry, whatever task index the environment gives."],
            commands: archiving, apply: { parsed, _, _ in parsed.archive.noShard = true }),
        OptionSpec(
            names: ["--refresh"], value: nil,
            help: ["Check albums already in the catalog again (including those", "recorded as unavailable), and fetch what is new or missing."],
            commands: archiving, apply: { parsed, _, _ in parsed.archive.refresh = true }),
        OptionSpec(
            names: ["--animated"], value: "<format>",
            help: [
                "gif (default) or mp4: which file to keep for animated media.",
                "GIFs over 20 MB are always kept as mp4 (Imgur only serves a", "thumbnail of them as GIF).",
            ],
            commands: archiving,
            apply: { (parsed, _, value) throws(CommandError) in
                guard let format = value.flatMap({ AnimatedFormat(rawValue: $0.lowercased()) }) else {
                    throw .usage("'--animated' takes gif or mp4, not '\(value ?? "")'")
                }
                parsed.archive.animated = format
            }),
        OptionSpec(
            names: ["--metadata-only"], value: nil, help: ["Write the documents, download no media."], commands: archiving,
            apply: { parsed, name, _ in parsed.flags.insert(name) }),
        OptionSpec(
            names: ["--media-only"], value: nil, help: ["Download the media, write no documents."], commands: archiving,
            apply: { parsed, name, _ in parsed.flags.insert(name) }),
        OptionSpec(
            names: ["--comments"], value: nil, help: ["Also keep gallery posts' comments (comments_<ID>.json)."],
            commands: archiving, apply: { parsed, _, _ in parsed.archive.comments = true }),
        OptionSpec(
            names: ["--all-pages"], value: nil, help: ["user: walk every page, not only the new ones."],
            commands: archiving, apply: { parsed, _, _ in parsed.archive.allPages = true }),
        OptionSpec(
            names: ["--newest-first"], value: nil, help: ["user: archive the newest items first (default)."],
            commands: archiving, apply: { parsed, name, _ in parsed.flags.insert(name) }),
        OptionSpec(
            names: ["--oldest-first"], value: nil, help: ["user: archive the oldest items first."], commands: archiving,
            apply: { parsed, name, _ in parsed.flags.insert(name) }),
        OptionSpec(
            names: ["--repair"], value: nil,
            help: ["verify: fetch again what is missing or damaged (damaged files", "are kept in quarantine/<ID>/)."],
            commands: [.verify], apply: { parsed, _, _ in parsed.verify.repair = true }),
    ] + writeOptions + [
        OptionSpec(
            names: ["--wait"], value: nil,
            help: ["If another run is using the storage directory, wait for it", "instead of exiting with status 75."],
            commands: [.archive, .user, .verify, .html], apply: { parsed, _, _ in parsed.global.wait = true }),
        OptionSpec(
            names: ["-q", "--quiet"], value: nil, help: ["Print only errors and a summary of failures."], commands: nil,
            apply: { parsed, _, _ in
                parsed.global.verbosity = .quiet
                parsed.flags.insert("--quiet")
            }),
        OptionSpec(
            names: ["-v", "--verbose"], value: nil, help: ["Also print every request and retry."], commands: nil,
            apply: { parsed, _, _ in
                parsed.global.verbosity = .verbose
                parsed.flags.insert("--verbose")
            }),
        OptionSpec(
            names: ["--no-config"], value: nil, help: ["Ignore the config file (\(ConfigFile.displayName))."], commands: nil,
            inConfigFile: false, apply: { _, _, _ in }),
        OptionSpec(
            names: ["--version"], value: nil, help: ["Print the version."], commands: nil, inConfigFile: false,
            apply: { parsed, _, _ in parsed.version = true }),
        OptionSpec(
            names: ["-h", "--help"], value: nil, help: ["Show this help."], commands: nil, inConfigFile: false,
            apply: { parsed, _, _ in parsed.help = true }),
    ]

    static func option(named name: String) -> OptionSpec? {
        options.first { $0.names.contains(name) }
    }

    /// The lines of the OPTIONS section for `command` (every option when nil).
    static func optionLines(for command: CommandName?) -> String {
        var lines: [String] = []
        for option in options where command.map(option.applies) ?? true {
            var head = "  " + option.names.joined(separator: ", ")
            if let value = option.value { head += " \(value)" }
            for (index, text) in option.help.enumerated() {
                let left = index == 0 ? head : ""
                let padding = max(1, 26 - left.count)
                lines.append(left + String(repeating: " ", count: padding) + text)
            }
        }
        lines.append("  --                      Everything after it is an id or URL (an album named \"verify\").")
        return lines.joined(separator: "\n")
    }

    static let environment = """
        ENVIRONMENT:
          IMGUR_CLIENT_ID         Your client id, if you have one (else api_secrets.json in the
                                  storage directory, else $XDG_CONFIG_HOME/imgur-archive/
                                  api_secrets.json, else the public one of imgur.com's pages).
          IMGUR_API_BASE          API root (default https://api.imgur.com); plain http only to
                                  a loopback host.
          https_proxy, http_proxy, ALL_PROXY, NO_PROXY
                                  Proxies, as curl reads them (socks5h://host:port works too).
          XDG_CONFIG_HOME         Where config and api_secrets.json are (default ~/.config).
          NO_COLOR                Never use colour.
          SOURCE_DATE_EPOCH       Write this time (unix seconds) in the documents instead of now.
          IMGUR_ARCHIVE_RESERVE   Credits left untouched: client[,user[,posts]] (default
                                  250,10,10; docs/scale-out.md sizes it for shared client ids).
          IMGUR_ARCHIVE_SHARDS    The shard count for a Kubernetes JOB_COMPLETION_INDEX.
          IMGUR_ARCHIVE_MEDIA_TRANSPORT
                                  urlsession: download media through URLSession instead of
                                  libcurl directly (slower; docs/performance.md).

        CONFIG FILE:
          $XDG_CONFIG_HOME/imgur-archive/config holds default options, as on the command line
          (--jobs 4, --animated mp4, --limit-rate 2M; # starts a comment). The command line wins;
          options that do not apply to a command are skipped for it; --no-config ignores the file.
        """

    static let exitStatus = """
        EXIT STATUS:
          0    Everything asked for is in the archive (or, for verify, intact).
          1    Some albums failed, were found gone from Imgur by this run, or are damaged;
               or some input could not be used.
          64   Usage error.
          75   Temporary problem (rate limit, network, another run; for verify, an album a
               run did not finish): run again later.
          78   Configuration error (credentials, storage directory, catalog).
          130  Interrupted (SIGINT); 143 terminated (SIGTERM). Partial files resume next run.
        """

    /// The overview: every command and every option.
    public static var help: String {
        var text = """
            OVERVIEW: Archive Imgur albums, images and accounts into portable folders: every media file,
            in order, with its descriptions and metadata, plus one catalog of everything archived
            (scraping_logs.json). Runs in a storage directory, from a shell or from cron.

            \(line)

            COMMANDS:

            """
        for command in commands {
            for (index, abstract) in command.abstract.enumerated() {
                let left = index == 0 ? "  \(command.usage)" : ""
                text += left + String(repeating: " ", count: max(1, 26 - left.count)) + abstract + "\n"
            }
        }
        text += "\nOPTIONS:\n\(optionLines(for: nil))\n\n\(environment)\n\n\(exitStatus)\n\n"
        return text
    }

    /// The help of one command: its usage, what it does, and only the options that apply to it.
    static func help(for name: CommandName) -> String {
        guard let command = commands.first(where: { $0.name == name }) else { return help }
        let usage = "USAGE: imgur-archive \(command.name.word.map { "\($0) " } ?? "")[<options>] "
            + (command.name == .archive ? command.usage : String(command.usage.dropFirst(name.rawValue.count + 1)))
        return "OVERVIEW: " + command.abstract.joined(separator: "\n") + "\n\n\(usage)\n\nOPTIONS:\n"
            + optionLines(for: name) + "\n\n\(exitStatus)\n\n"
    }
}
