import Foundation

/// The command-line tool, callable in-process: `main.swift` only hands it the process.
public enum ImgurArchiveTool {
    /// Parses `arguments` (without the program name), runs, and returns the exit status.
    public static func run(_ arguments: [String], context: RunContext) async -> ExitCode {
        let command: Command
        do {
            command = try CommandLineParser.parse(arguments)
        } catch {
            context.console.err("Error: \(error)\n\(Usage.line)\n  See 'imgur-archive --help'.\n")
            return .usage
        }
        switch command {
        case .help:
            context.console.out(Usage.help)
            return .success
        case .version:
            context.console.out("imgur-archive \(Usage.version)\n")
            return .success
        case .archive(let options):
            let reporter = Reporter(console: context.console, verbosity: options.verbosity)
            return await ArchiveRun(options: options, context: context, reporter: reporter).run()
        case .user(let name, var options):
            options.inputs = []
            let reporter = Reporter(console: context.console, verbosity: options.verbosity)
            return await ArchiveRun(options: options, context: context, reporter: reporter, account: name).run()
        case .verify(let options):
            let reporter = Reporter(console: context.console, verbosity: options.verbosity)
            return await VerifyRun(options: options, context: context, reporter: reporter).run()
        case .html(let options):
            let reporter = Reporter(console: context.console, verbosity: options.verbosity)
            return HTMLRun(options: options, context: context, reporter: reporter).run()
        }
    }
}
