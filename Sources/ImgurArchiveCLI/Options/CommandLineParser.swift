import ArchiveFormat
import Archiver
import ImgurAPI

/// Parses `CommandLine.arguments` (without the program name) into an `Invocation`, from the option
/// table in `Usage.options`.
///
/// `user`, `verify` and `html` are commands when they are the first argument that is not an
/// option; after `--` every argument is an album id or URL (an album may be called `verify`).
public enum CommandLineParser {
    /// - Parameter defaults: what the config file set (`ConfigFile`); the command line wins over it.
    /// - Throws: `CommandError.usage` with a one-line message.
    public static func parse(_ arguments: [String], defaults: [String] = []) throws(CommandError) -> Invocation {
        var parsed = Parsed()
        var command = CommandName.archive
        var positionals: [String] = []
        var onlyPositional = false
        var used: [(name: String, option: OptionSpec)] = []
        var words = Self.expand(arguments)[...]
        while let argument = words.popFirst() {
            if onlyPositional || argument == "-" || !argument.hasPrefix("-") {
                if positionals.isEmpty && !onlyPositional && command == .archive,
                    let named = CommandName(rawValue: argument), named != .archive
                {
                    command = named
                } else {
                    positionals.append(argument)
                }
                continue
            }
            if argument == "--" {
                onlyPositional = true
                continue
            }
            let (name, attached) = split(argument)
            guard let option = Usage.option(named: name) else {
                // --help wins over what follows it, but not over an unknown option before it.
                throw .usage("unknown option '\(name)'")
            }
            var value: String?
            if option.value != nil {
                if let attached {
                    value = attached
                } else {
                    guard let next = words.popFirst() else { throw .usage("missing value for '\(name)'") }
                    value = next
                }
            } else if attached != nil {
                throw .usage("'\(name)' takes no value")
            }
            try option.apply(&parsed, name, value)
            if parsed.help || parsed.version { break }
            used.append((name, option))
            parsed.given.insert(option.canonical)
        }
        if parsed.version { return Invocation(command: .version) }
        if command == .help {
            guard positionals.count <= 1 else { throw .usage("'help' takes at most one command name") }
            guard let word = positionals.first else { return Invocation(command: .help(nil)) }
            guard let named = CommandName(rawValue: word), named != .archive, named != .help else {
                throw .usage("no command '\(word)'; the commands are \(CommandName.words.joined(separator: ", "))")
            }
            return Invocation(command: .help(named))
        }
        if parsed.help { return Invocation(global: parsed.global, command: .help(command == .archive ? nil : command)) }
        for (name, option) in used where !option.applies(to: command) {
            throw .usage("'\(name)' does not apply to '\(command == .archive ? "archiving" : command.rawValue)'")
        }
        for group in Usage.exclusive {
            let given = group.filter { parsed.flags.contains($0) }
            if given.count > 1 { throw .usage("'\(given[0])' and '\(given[1])' cannot be combined") }
        }
        // The config file's settings, where the command line said nothing of the same kind, and
        // only those that apply to this command (a config file serves every command).
        if !defaults.isEmpty { try parsed.adopt(try configured(defaults, command: command)) }
        return Invocation(global: parsed.global, command: try finish(parsed, command: command, positionals: positionals))
    }

    /// The config file's options, each checked, keeping only those that apply to `command`.
    /// - Throws: `CommandError.configuration` (exit 78) naming the file.
    private static func configured(_ words: [String], command: CommandName) throws(CommandError) -> [ConfigSetting] {
        var settings: [ConfigSetting] = []
        var scratch = Parsed()
        var rest = expand(words)[...]
        while let argument = rest.popFirst() {
            let (name, attached) = split(argument)
            guard argument.hasPrefix("-"), let option = Usage.option(named: name), option.inConfigFile else {
                throw .configuration("\(ConfigFile.displayName): '\(argument)' is not an option a config file can set")
            }
            var value = attached
            if option.value != nil, value == nil {
                guard let next = rest.popFirst() else { throw .configuration("\(ConfigFile.displayName): missing value for '\(name)'") }
                value = next
            } else if option.value == nil, attached != nil {
                throw .configuration("\(ConfigFile.displayName): '\(name)' takes no value")
            }
            do {
                try option.apply(&scratch, name, value)
            } catch {
                throw .configuration("\(ConfigFile.displayName): \(error)")
            }
            if option.applies(to: command) { settings.append(ConfigSetting(option: option, name: name, value: value)) }
        }
        return settings
    }

    /// Bundled short flags as separate words: `-qv` is `-q -v`; `-j4` and `-j=4` stay one option
    /// with its value.
    static func expand(_ arguments: [String]) -> [String] {
        var words: [String] = []
        var onlyPositional = false
        for argument in arguments {
            guard !onlyPositional, argument.hasPrefix("-"), !argument.hasPrefix("--"), argument.count > 2,
                let first = Usage.option(named: String(argument.prefix(2))), first.value == nil
            else {
                if argument == "--" { onlyPositional = true }
                words.append(argument)
                continue
            }
            // Every letter a flag (or the last one an option taking the rest as its value).
            var rest = Substring(argument.dropFirst())
            while let letter = rest.first {
                rest = rest.dropFirst()
                let name = "-\(letter)"
                guard let option = Usage.option(named: name), option.value != nil, !rest.isEmpty else {
                    words.append(name)
                    continue
                }
                words.append(name + rest)
                break
            }
        }
        return words
    }

    /// `--name=value` and `-Xvalue` forms.
    private static func split(_ argument: String) -> (String, String?) {
        if argument.hasPrefix("--") {
            guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        guard argument.count > 2 else { return (argument, nil) }
        // `-j4`, and `-j=4` as in many tools.
        let value = argument.dropFirst(2)
        return (String(argument.prefix(2)), String(value.hasPrefix("=") ? value.dropFirst() : value))
    }

    private static func finish(_ parsed: Parsed, command: CommandName, positionals: [String]) throws(CommandError)
        -> Command
    {
        switch command {
        case .archive:
            var options = try archiveOptions(parsed)
            options.inputs = positionals
            return .archive(options)
        case .user:
            guard positionals.count == 1, let given = positionals.first else {
                throw .usage("'user' takes one account name or URL: imgur-archive user NAME")
            }
            var name = given
            if given.contains("/") || given.contains(".") {
                // `user https://imgur.com/user/bob`, as the same URL works as an argument.
                do {
                    guard case .user(let named) = try ImgurReference.parse(given) else {
                        throw CommandError.usage("not an account URL: \(given)")
                    }
                    name = named
                } catch let error as ImgurReference.ParseError {
                    throw .usage("\(error)")
                } catch {
                    throw .usage("not an account URL: \(given)")
                }
            }
            guard ImgurReference.isValidUserName(name) else { throw .usage("not a valid Imgur user name: \(name)") }
            if parsed.archive.listOnly || parsed.list.json, name.lowercased() != "me" {
                throw .usage("'--list' and '--json' are for 'user me' (the logged-in account)")
            }
            var options = try archiveOptions(parsed)
            options.json = parsed.list.json
            return .user(name: name, options)
        case .verify:
            var options = parsed.verify
            options.ids = positionals
            return .verify(options)
        case .html:
            guard positionals.isEmpty else { throw .usage("'html' takes no arguments") }
            return .html
        case .upload:
            var options = parsed.upload
            options.inputs = positionals
            if options.resume != nil, !positionals.isEmpty {
                throw .usage("'--resume' finishes a job: give no files with it (a new upload is a new job)")
            }
            if options.resume == nil, positionals.isEmpty { throw .usage("'upload' needs files, folders or URLs (or --resume JOB)") }
            if options.newAlbum != nil, options.album != nil { throw .usage("'--new-album' and '--album' cannot be combined") }
            if options.retryUncertain, options.resume == nil { throw .usage("'--retry-uncertain' goes with '--resume JOB'") }
            return .upload(options)
        case .restore:
            guard !positionals.isEmpty else { throw .usage("'restore' needs archived album ids or album folders") }
            var options = parsed.restore
            options.targets = positionals
            options.dryRun = parsed.archive.dryRun
            options.anonymous = parsed.upload.anonymous
            options.retryUncertain = parsed.upload.retryUncertain
            return .restore(options)
        case .merge:
            guard !positionals.isEmpty else { throw .usage("'merge' needs the storage directories to merge") }
            var options = parsed.merge
            options.sources = positionals
            return .merge(options)
        case .sync:
            guard positionals.isEmpty else { throw .usage("'sync' takes no arguments: it reads sync.txt in the storage directory") }
            var options = parsed.sync
            options.dryRun = parsed.archive.dryRun
            options.anonymous = parsed.upload.anonymous
            options.retryUncertain = parsed.upload.retryUncertain
            return .sync(options)
        case .jobs:
            guard positionals.count <= 1 else { throw .usage("'jobs' takes at most one job id") }
            var options = parsed.list
            options.job = positionals.first
            return .jobs(options)
        case .uploads:
            guard positionals.isEmpty else { throw .usage("'uploads' takes no arguments") }
            return .uploads(parsed.list)
        case .delete:
            guard !positionals.isEmpty else { throw .usage("'delete' needs job ids or image ids") }
            var options = parsed.delete
            options.targets = positionals
            return .delete(options)
        case .login:
            guard positionals.isEmpty else {
                throw .usage("'login' takes no arguments (a refresh token is read from stdin with --refresh-token -)")
            }
            if parsed.login.status, parsed.login.refreshTokenFromStdin { throw .usage("'--status' and '--refresh-token' cannot be combined") }
            return .login(parsed.login)
        case .logout:
            guard positionals.isEmpty else { throw .usage("'logout' takes no arguments") }
            return .logout
        case .serve:
            guard positionals.isEmpty else { throw .usage("'serve' takes no arguments") }
            return .serve(parsed.serve)
        case .help:
            return .help(nil)
        }
    }

    private static func archiveOptions(_ parsed: Parsed) throws(CommandError) -> ArchiveOptions {
        let flags = parsed.flags
        var options = parsed.archive
        options.scope = flags.contains("--metadata-only") ? .metadataOnly : flags.contains("--media-only") ? .mediaOnly : .everything
        options.order = flags.contains("--oldest-first") ? .oldestFirst : .newestFirst
        return options
    }
}
