import ImgurAPI

/// Parses `CommandLine.arguments` (without the program name) into a `Command`.
///
/// `user`, `verify` and `html` are subcommands when they are the first argument that is not an
/// option; after `--` every argument is an album id or URL (an album may be called `verify`).
public enum CommandLineParser {
    /// - Throws: `ArchiveError.usage` with a one-line message.
    public static func parse(_ arguments: [String]) throws(ArchiveError) -> Command {
        var parsed = Parsed()
        var remaining = arguments[...]
        var onlyPositional = false
        while let argument = remaining.popFirst() {
            if onlyPositional || argument == "-" || !argument.hasPrefix("-") {
                if parsed.positionals.isEmpty && !onlyPositional && Subcommand(rawValue: argument) != nil {
                    parsed.subcommand = Subcommand(rawValue: argument)
                } else {
                    parsed.positionals.append(argument)
                }
                continue
            }
            if argument == "--" {
                onlyPositional = true
                continue
            }
            let (name, attached) = split(argument)
            func value() throws(ArchiveError) -> String {
                if let attached { return attached }
                guard let next = remaining.popFirst() else { throw .usage("missing value for '\(name)'") }
                return next
            }
            func flag() throws(ArchiveError) {
                guard attached == nil else { throw .usage("'\(name)' takes no value") }
            }
            switch name {
            case "-h", "--help": return .help
            case "--version": return .version
            case "-C", "--dir": parsed.archive.directory = try value()
            case "-j", "--jobs":
                let text = try value()
                guard let jobs = Int(text), (1...ArchiveOptions.maxJobs).contains(jobs) else {
                    throw .usage("'\(name)' takes a number from 1 to \(ArchiveOptions.maxJobs), not '\(text)'")
                }
                parsed.archive.jobs = jobs
            case "--animated":
                let text = try value()
                guard let format = AnimatedFormat(rawValue: text.lowercased()) else {
                    throw .usage("'--animated' takes gif or mp4, not '\(text)'")
                }
                parsed.archive.animated = format
            case "-q", "--quiet":
                try flag()
                parsed.archive.verbosity = .quiet
            case "-v", "--verbose":
                try flag()
                parsed.archive.verbosity = .verbose
            default:
                guard let option = Parsed.Flag(rawValue: name) else { throw .usage("unknown option '\(name)'") }
                try flag()
                parsed.flags.insert(option)
            }
        }
        return try parsed.command()
    }

    /// `--name=value` and `-Xvalue` forms.
    private static func split(_ argument: String) -> (String, String?) {
        if argument.hasPrefix("--") {
            guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        guard argument.count > 2 else { return (argument, nil) }
        return (String(argument.prefix(2)), String(argument.dropFirst(2)))
    }

    private enum Subcommand: String {
        case user, verify, html
    }

    /// What was read, before it is checked against the command it belongs to.
    private struct Parsed {
        enum Flag: String {
            case refresh = "--refresh", wait = "--wait", metadataOnly = "--metadata-only"
            case mediaOnly = "--media-only", comments = "--comments", allPages = "--all-pages"
            case oldestFirst = "--oldest-first", newestFirst = "--newest-first", repair = "--repair"
        }

        var subcommand: Subcommand?
        var positionals: [String] = []
        var archive = ArchiveOptions()
        var flags: Set<Flag> = []

        func command() throws(ArchiveError) -> Command {
            switch subcommand {
            case nil:
                try allow([.refresh, .wait, .metadataOnly, .mediaOnly, .comments, .allPages, .oldestFirst, .newestFirst])
                var options = try archiveOptions()
                options.inputs = positionals
                return .archive(options)
            case .user?:
                try allow([.refresh, .wait, .metadataOnly, .mediaOnly, .comments, .allPages, .oldestFirst, .newestFirst])
                guard positionals.count == 1, let name = positionals.first else {
                    throw .usage("'user' takes one account name: imgur-archive user NAME")
                }
                guard ImgurReference.isValidUserName(name) else { throw .usage("not a valid Imgur user name: \(name)") }
                return .user(name: name, try archiveOptions())
            case .verify?:
                try allow([.repair])
                var options = VerifyOptions(directory: archive.directory)
                options.ids = positionals
                options.repair = flags.contains(.repair)
                options.jobs = archive.jobs
                options.verbosity = archive.verbosity
                return .verify(options)
            case .html?:
                try allow([])
                guard positionals.isEmpty else { throw .usage("'html' takes no arguments") }
                var options = HTMLOptions(directory: archive.directory)
                options.verbosity = archive.verbosity
                return .html(options)
            }
        }

        private func archiveOptions() throws(ArchiveError) -> ArchiveOptions {
            if flags.contains(.metadataOnly) && flags.contains(.mediaOnly) {
                throw .usage("'--metadata-only' and '--media-only' cannot be combined")
            }
            if flags.contains(.oldestFirst) && flags.contains(.newestFirst) {
                throw .usage("'--oldest-first' and '--newest-first' cannot be combined")
            }
            var options = archive
            options.refresh = flags.contains(.refresh)
            options.wait = flags.contains(.wait)
            options.comments = flags.contains(.comments)
            options.allPages = flags.contains(.allPages)
            options.scope = flags.contains(.metadataOnly) ? .metadataOnly : flags.contains(.mediaOnly) ? .mediaOnly : .everything
            options.order = flags.contains(.oldestFirst) ? .oldestFirst : .newestFirst
            return options
        }

        /// Refuses flags that do not apply to the command.
        private func allow(_ allowed: Set<Flag>) throws(ArchiveError) {
            if let stray = flags.subtracting(allowed).map(\.rawValue).sorted().first {
                throw .usage("'\(stray)' does not apply to '\(subcommand?.rawValue ?? "archiving")'")
            }
        }
    }
}
