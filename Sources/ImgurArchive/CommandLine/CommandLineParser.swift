import ImgurAPI

/// Parses `CommandLine.arguments` (without the program name) into a `Command`.
public enum CommandLineParser {
    /// - Throws: `ArchiveError.usage` with a one-line message.
    public static func parse(_ arguments: [String]) throws(ArchiveError) -> Command {
        var options = ArchiveOptions()
        var remaining = arguments[...]
        var onlyPositional = false
        while let argument = remaining.popFirst() {
            if onlyPositional || argument == "-" || !argument.hasPrefix("-") {
                options.inputs.append(argument)
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
            switch name {
            case "-h", "--help": return .help
            case "--version": return .version
            case "-C", "--dir": options.directory = try value()
            case "-j", "--jobs":
                let text = try value()
                guard let jobs = Int(text), (1...ArchiveOptions.maxJobs).contains(jobs) else {
                    throw .usage("'\(name)' takes a number from 1 to \(ArchiveOptions.maxJobs), not '\(text)'")
                }
                options.jobs = jobs
            case "--animated":
                let text = try value()
                guard let format = AnimatedFormat(rawValue: text.lowercased()) else {
                    throw .usage("'--animated' takes gif or mp4, not '\(text)'")
                }
                options.animated = format
            case "--refresh": try flag(name, attached) { options.refresh = true }
            case "--wait": try flag(name, attached) { options.wait = true }
            case "-q", "--quiet": try flag(name, attached) { options.verbosity = .quiet }
            case "-v", "--verbose": try flag(name, attached) { options.verbosity = .verbose }
            default:
                throw .usage("unknown option '\(name)'")
            }
        }
        return .archive(options)
    }

    /// `--name=value` and `-Xvalue` forms.
    private static func split(_ argument: String) -> (String, String?) {
        if argument.hasPrefix("--") {
            guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        guard argument.count > 2 else { return (argument, nil) }
        let name = String(argument.prefix(2))
        return (name, String(argument.dropFirst(2)))
    }

    private static func flag(_ name: String, _ attached: String?, _ set: () -> Void) throws(ArchiveError) {
        guard attached == nil else { throw .usage("'\(name)' takes no value") }
        set()
    }
}
