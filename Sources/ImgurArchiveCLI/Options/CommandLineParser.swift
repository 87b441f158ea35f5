import ArchiveFormat
import Archiver
import ImgurAPI

/// Parses `CommandLine.arguments` (without the program name) into an `Invocation`, from the option
/// table in `Usage.options`.
///
/// `user`, `verify` and `html` are commands when they are the first argument that is not an
/// option; after `--` every argument is an album id or URL (an album may be called `verify`).
public enum CommandLineParser {
    /// - Throws: `CommandError.usage` with a one-line message.
    public static func parse(_ arguments: [String]) throws(CommandError) -> Invocation {
        var parsed = Parsed()
        var command = CommandName.archive
        var positionals: [String] = []
        var remaining = arguments[...]
        var onlyPositional = false
        var used: [(name: String, option: OptionSpec)] = []
        while let argument = remaining.popFirst() {
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
                    guard let next = remaining.popFirst() else { throw .usage("missing value for '\(name)'") }
                    value = next
                }
            } else if attached != nil {
                throw .usage("'\(name)' takes no value")
            }
            try option.apply(&parsed, name, value)
            if parsed.help || parsed.version { break }
            used.append((name, option))
        }
        if parsed.version { return Invocation(command: .version) }
        if parsed.help { return Invocation(global: parsed.global, command: .help(command == .archive ? nil : command)) }
        for (name, option) in used where !option.applies(to: command) {
            throw .usage("'\(name)' does not apply to '\(command == .archive ? "archiving" : command.rawValue)'")
        }
        return Invocation(global: parsed.global, command: try finish(parsed, command: command, positionals: positionals))
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

    private static func finish(_ parsed: Parsed, command: CommandName, positionals: [String]) throws(CommandError)
        -> Command
    {
        switch command {
        case .archive:
            var options = try archiveOptions(parsed)
            options.inputs = positionals
            return .archive(options)
        case .user:
            guard positionals.count == 1, let name = positionals.first else {
                throw .usage("'user' takes one account name: imgur-archive user NAME")
            }
            guard ImgurReference.isValidUserName(name) else { throw .usage("not a valid Imgur user name: \(name)") }
            return .user(name: name, try archiveOptions(parsed))
        case .verify:
            var options = parsed.verify
            options.ids = positionals
            return .verify(options)
        case .html:
            guard positionals.isEmpty else { throw .usage("'html' takes no arguments") }
            return .html
        }
    }

    private static func archiveOptions(_ parsed: Parsed) throws(CommandError) -> ArchiveOptions {
        let flags = parsed.flags
        if flags.contains("--metadata-only") && flags.contains("--media-only") {
            throw .usage("'--metadata-only' and '--media-only' cannot be combined")
        }
        if flags.contains("--oldest-first") && flags.contains("--newest-first") {
            throw .usage("'--oldest-first' and '--newest-first' cannot be combined")
        }
        var options = parsed.archive
        options.scope = flags.contains("--metadata-only") ? .metadataOnly : flags.contains("--media-only") ? .mediaOnly : .everything
        options.order = flags.contains("--oldest-first") ? .oldestFirst : .newestFirst
        return options
    }
}
