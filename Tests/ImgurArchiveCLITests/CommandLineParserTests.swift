import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI
@testable import ImgurArchiveCLI
@testable import Jobs

/// `CommandLineParser.parse`: every option form, and the exact usage messages.
@Suite struct CommandLineParserTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let command: Invocation
        var testDescription: String { arguments.isEmpty ? "(no arguments)" : arguments.joined(separator: " ") }
    }

    static func options(_ change: (inout ArchiveOptions) -> Void) -> Invocation {
        var options = ArchiveOptions()
        change(&options)
        return Invocation(command: .archive(options))
    }

    static func global(_ change: (inout GlobalOptions) -> Void, _ archive: (inout ArchiveOptions) -> Void = { _ in })
        -> Invocation
    {
        var invocation = options(archive)
        change(&invocation.global)
        return invocation
    }

    static let valid: [Valid] = [
        Valid(arguments: [], command: Invocation(command: .archive(ArchiveOptions()))),
        Valid(arguments: ["-h"], command: Invocation(command: .help(nil))),
        Valid(arguments: ["--help"], command: Invocation(command: .help(nil))),
        Valid(arguments: ["--version"], command: Invocation(command: .version)),
        Valid(arguments: ["AbCdE", "--help"], command: Invocation(command: .help(nil))),
        Valid(arguments: ["--help", "--nope"], command: Invocation(command: .help(nil))),
        Valid(arguments: ["--version", "--help"], command: Invocation(command: .version)),
        Valid(arguments: ["-C", "dir"], command: global { $0.directory = "dir" }),
        Valid(arguments: ["--dir", "dir"], command: global { $0.directory = "dir" }),
        Valid(arguments: ["--dir=dir"], command: global { $0.directory = "dir" }),
        Valid(arguments: ["-Cdir"], command: global { $0.directory = "dir" }),
        Valid(arguments: ["-C", "/with space/x"], command: global { $0.directory = "/with space/x" }),
        Valid(arguments: ["--dir=a=b"], command: global { $0.directory = "a=b" }),
        Valid(arguments: ["-C", "a", "-C", "b"], command: global { $0.directory = "b" }),
        Valid(arguments: ["-j", "4"], command: global { $0.jobs = 4 }),
        Valid(arguments: ["-j4"], command: global { $0.jobs = 4 }),
        Valid(arguments: ["--jobs=4"], command: global { $0.jobs = 4 }),
        Valid(arguments: ["--jobs", "4"], command: global { $0.jobs = 4 }),
        Valid(arguments: ["-j", "1"], command: global { $0.jobs = 1 }),
        Valid(arguments: ["-j", "64"], command: global { $0.jobs = 64 }),
        Valid(arguments: ["--animated", "mp4"], command: options { $0.animated = .mp4 }),
        Valid(arguments: ["--animated", "gif"], command: options { $0.animated = .gif }),
        Valid(arguments: ["--animated", "GIF"], command: options { $0.animated = .gif }),
        Valid(arguments: ["--animated=Mp4"], command: options { $0.animated = .mp4 }),
        Valid(arguments: ["--refresh"], command: options { $0.refresh = true }),
        Valid(arguments: ["--wait"], command: global { $0.wait = true }),
        Valid(arguments: ["-q"], command: global { $0.verbosity = .quiet }),
        Valid(arguments: ["--quiet"], command: global { $0.verbosity = .quiet }),
        Valid(arguments: ["-v"], command: global { $0.verbosity = .verbose }),
        Valid(arguments: ["--verbose"], command: global { $0.verbosity = .verbose }),
        Valid(arguments: ["-q", "-v"], command: global { $0.verbosity = .verbose }),
        Valid(arguments: ["AbCdE"], command: options { $0.inputs = ["AbCdE"] }),
        Valid(
            arguments: ["AbCdE", "-j", "2", "https://imgur.com/a/q6i58", "--refresh"],
            command: global({ $0.jobs = 2 }) {
                $0.inputs = ["AbCdE", "https://imgur.com/a/q6i58"]
                $0.refresh = true
            }),
        Valid(arguments: ["--", "-abc"], command: options { $0.inputs = ["-abc"] }),
        Valid(arguments: ["--", "--help", "--", "x"], command: options { $0.inputs = ["--help", "--", "x"] }),
        Valid(arguments: ["-"], command: options { $0.inputs = ["-"] }),
        Valid(arguments: ["--dir", "--refresh"], command: global { $0.directory = "--refresh" }),
        Valid(
            arguments: ["-C", "store", "--jobs=16", "--animated", "mp4", "--refresh", "--wait", "-q", "AbCdE"],
            command: global({
                $0.directory = "store"
                $0.jobs = 16
                $0.wait = true
                $0.verbosity = .quiet
            }) {
                $0.animated = .mp4
                $0.refresh = true
                $0.inputs = ["AbCdE"]
            }),
    ]

    @Test(arguments: valid)
    func parses(valid: Valid) throws {
        #expect(try CommandLineParser.parse(valid.arguments) == valid.command)
    }

    @Test func defaultOptions() throws {
        let options = ArchiveOptions()
        let global = GlobalOptions()
        #expect(global.directory == nil)
        #expect(options.inputs.isEmpty)
        #expect(options.refresh == false)
        #expect(global.jobs == 8)
        #expect(options.animated == .gif)
        #expect(global.wait == false)
        #expect(global.verbosity == .normal)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let invalid: [Invalid] = [
        Invalid(arguments: ["--nope"], message: "unknown option '--nope'"),
        Invalid(arguments: ["--nope=3"], message: "unknown option '--nope'"),
        Invalid(arguments: ["-x"], message: "unknown option '-x'"),
        Invalid(arguments: ["AbCdE", "--Help"], message: "unknown option '--Help'"),
        Invalid(arguments: ["-j", "0"], message: "'-j' takes a number from 1 to 64, not '0'"),
        Invalid(arguments: ["-j", "65"], message: "'-j' takes a number from 1 to 64, not '65'"),
        Invalid(arguments: ["-j", "x"], message: "'-j' takes a number from 1 to 64, not 'x'"),
        Invalid(arguments: ["-j", "-1"], message: "'-j' takes a number from 1 to 64, not '-1'"),
        Invalid(arguments: ["-j", ""], message: "'-j' takes a number from 1 to 64, not ''"),
        Invalid(arguments: ["-j4x"], message: "'-j' takes a number from 1 to 64, not '4x'"),
        Invalid(arguments: ["--jobs=0"], message: "'--jobs' takes a number from 1 to 64, not '0'"),
        Invalid(arguments: ["--jobs", "1000"], message: "'--jobs' takes a number from 1 to 64, not '1000'"),
        Invalid(arguments: ["--animated", "webm"], message: "'--animated' takes gif or mp4, not 'webm'"),
        Invalid(arguments: ["--animated=gifv"], message: "'--animated' takes gif or mp4, not 'gifv'"),
        Invalid(arguments: ["--refresh=yes"], message: "'--refresh' takes no value"),
        Invalid(arguments: ["--wait=1"], message: "'--wait' takes no value"),
        Invalid(arguments: ["--quiet="], message: "'--quiet' takes no value"),
        Invalid(arguments: ["-qv"], message: "'-q' takes no value"),
        Invalid(arguments: ["--dir"], message: "missing value for '--dir'"),
        Invalid(arguments: ["-C"], message: "missing value for '-C'"),
        Invalid(arguments: ["AbCdE", "-j"], message: "missing value for '-j'"),
        Invalid(arguments: ["--jobs"], message: "missing value for '--jobs'"),
        Invalid(arguments: ["--animated"], message: "missing value for '--animated'"),
        Invalid(arguments: ["--nope", "--help"], message: "unknown option '--nope'"),
    ]

    @Test(arguments: invalid)
    func rejects(invalid: Invalid) {
        #expect(throws: CommandError.usage(invalid.message)) {
            _ = try CommandLineParser.parse(invalid.arguments)
        }
    }
}
