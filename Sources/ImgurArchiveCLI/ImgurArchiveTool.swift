import Foundation
import Jobs

/// The command-line tool, callable in-process: `main.swift` only hands it the process.
public enum ImgurArchiveTool {
    /// Parses `arguments` (without the program name), runs, and returns the exit status.
    public static func run(_ arguments: [String], context: RunContext) async -> ExitCode {
        let invocation: Invocation
        do {
            let defaults = try ConfigFile.words(arguments: arguments, environment: context.environment)
            invocation = try CommandLineParser.parse(arguments, defaults: defaults)
        } catch {
            if case .usage(let message) = error {
                context.console.err(usageError(message, arguments: arguments))
            } else {
                context.console.err("error: \(TextFormat.terminalSafe("\(error)"))\n")
            }
            return ExitStatus.of(error)
        }
        let global = invocation.global
        switch invocation.command {
        case .help(let command):
            context.console.out(command.map(Usage.help(for:)) ?? Usage.help)
            return .success
        case .version:
            context.console.out("imgur-archive \(Usage.version)\n")
            return .success
        default:
            break
        }
        let reporter = Reporter(console: context.console, verbosity: global.verbosity)
        do {
            let session = try Session(global: global, context: context, reporter: reporter)
            switch invocation.command {
            case .archive(let options):
                return try await ArchiveCommand(options: options).run(session)
            case .user(let name, let options) where name.lowercased() == "me":
                return try await OwnAccountCommand(options: options).run(session)
            case .user(let name, var options):
                options.inputs = []
                return try await ArchiveCommand(options: options, account: name).run(session)
            case .verify(let options):
                return try await VerifyCommand(options: options).run(session)
            case .html:
                return try await HTMLCommand().run(session)
            case .upload(let options):
                return try await UploadCommand(options: options).run(session)
            case .merge(let options):
                return try await MergeCommand(options: options).run(session)
            case .sync(let options):
                return try await SyncCommand(options: options).run(session)
            case .restore(let options):
                return try await RestoreCommand(options: options).run(session)
            case .jobs(let options):
                return try JobsCommand(options: options).jobs(session)
            case .uploads(let options):
                return try JobsCommand(options: options).uploads(session)
            case .delete(let options):
                return try await DeleteCommand(options: options).run(session)
            case .login(let options):
                return try await LoginCommand(options: options).run(session)
            case .logout:
                return try LoginCommand.logout(session)
            case .serve(let options):
                return try await ServeCommand(options: options).run(session)
            case .help, .version:
                return .success
            }
        } catch {
            return report(error, reporter: reporter, console: context.console, arguments: arguments)
        }
    }

    /// `error: <message>` and the hint to the help of the command the arguments name: every error
    /// starts the same way, usage errors with where to read more.
    static func usageError(_ message: String, arguments: [String]) -> String {
        let command = arguments.prefix { $0 != "--" }.first { CommandName(rawValue: $0).map { $0 != .archive } ?? false }
        let help = command.map { "imgur-archive \($0) --help" } ?? "imgur-archive --help"
        return "error: \(TextFormat.terminalSafe(message))\nSee '\(help)'.\n"
    }

    /// Prints an error that stopped a command the way its kind is printed (usage errors with the
    /// usage line) and returns its exit status.
    static func report(_ error: any Error, reporter: Reporter, console: Console, arguments: [String]) -> ExitCode {
        reporter.clearStatus()
        if case CommandError.usage(let message) = error {
            console.err(usageError(message, arguments: arguments))
        } else if error is CancellationError {
            reporter.error("stopped by a signal")
        } else {
            reporter.error("\(error)")
        }
        return ExitStatus.of(error)
    }
}
