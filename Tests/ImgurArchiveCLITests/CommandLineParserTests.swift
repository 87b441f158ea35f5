import Foundation
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
        Valid(arguments: ["-qj4"], command: global {
            $0.verbosity = .quiet
            $0.jobs = 4
        }),
        Valid(arguments: ["-j=4"], command: global { $0.jobs = 4 }),
        Valid(arguments: ["-vC", "dir"], command: global {
            $0.verbosity = .verbose
            $0.directory = "dir"
        }),
        Valid(arguments: ["help"], command: Invocation(command: .help(nil))),
        Valid(arguments: ["help", "verify"], command: Invocation(command: .help(.verify))),
        Valid(arguments: ["verify", "--help"], command: Invocation(command: .help(.verify))),
        Valid(arguments: ["user", "-h"], command: Invocation(command: .help(.user))),
        Valid(arguments: ["html", "--help"], command: Invocation(command: .help(.html))),
        Valid(arguments: ["--", "help"], command: options { $0.inputs = ["help"] }),
        Valid(arguments: ["user", "https://imgur.com/user/bob"], command: Invocation(command: .user(name: "bob", ArchiveOptions()))),
        Valid(arguments: ["user", "imgur.com/user/bob/posts"], command: Invocation(command: .user(name: "bob", ArchiveOptions()))),
        Valid(arguments: ["-i", "list.txt", "-i-", "--dry-run"], command: options {
            $0.inputFiles = ["list.txt", "-"]
            $0.dryRun = true
        }),
        Valid(arguments: ["--limit-rate", "500k"], command: global { $0.limitRate = 512_000 }),
        Valid(arguments: ["--limit-rate=2M"], command: global { $0.limitRate = 2_097_152 }),
        Valid(arguments: ["--limit-rate", "1.5m"], command: global { $0.limitRate = 1_572_864 }),
        Valid(arguments: ["--limit-rate", "10000"], command: global { $0.limitRate = 10_000 }),
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
        Invalid(arguments: ["-qv"], message: "'--quiet' and '--verbose' cannot be combined"),
        Invalid(arguments: ["-q", "--verbose"], message: "'--quiet' and '--verbose' cannot be combined"),
        Invalid(arguments: ["-qx"], message: "unknown option '-x'"),
        Invalid(arguments: ["help", "nope"], message: "no command 'nope'; the commands are user, verify, html, merge, upload, jobs, uploads, delete, login, logout, serve, restore, sync, help"),
        Invalid(arguments: ["help", "verify", "html"], message: "'help' takes at most one command name"),
        Invalid(arguments: ["verify", "--refresh"], message: "'--refresh' does not apply to 'verify'"),
        Invalid(arguments: ["html", "-j", "3", "--repair"], message: "'--repair' does not apply to 'html'"),
        Invalid(arguments: ["--repair"], message: "'--repair' does not apply to 'archiving'"),
        Invalid(arguments: ["user", "-i", "x"], message: "'-i' does not apply to 'user'"),
        Invalid(arguments: ["html", "--limit-rate", "1k"], message: "'--limit-rate' does not apply to 'html'"),
        Invalid(arguments: ["user", "https://imgur.com/user/bob/favorites"],
                message: "the favorites page of user bob is not archived (only an account's own posts and albums: imgur.com/user/bob); give the URL of each post instead"),
        Invalid(arguments: ["user", "https://imgur.com/a/q6i58"], message: "not an account URL: https://imgur.com/a/q6i58"),
        Invalid(arguments: ["--limit-rate", "fast"], message: "'--limit-rate' takes a rate such as 500k or 2M, not 'fast'"),
        Invalid(arguments: ["--limit-rate", "0"], message: "'--limit-rate' takes a rate such as 500k or 2M, not '0'"),
        Invalid(arguments: ["--limit-rate", "5x"], message: "'--limit-rate' takes a rate such as 500k or 2M, not '5x'"),
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

    // MARK: The config file

    struct Configured: Sendable, CustomTestStringConvertible {
        let file: String
        let arguments: [String]
        let command: Invocation
        var testDescription: String { "\(file.replacingOccurrences(of: "\n", with: " / ")) + \(arguments.joined(separator: " "))" }
    }

    static let configured: [Configured] = [
        Configured(file: "--jobs 4\n--animated mp4\n", arguments: [], command: global({ $0.jobs = 4 }) { $0.animated = .mp4 }),
        Configured(file: "# defaults\n-j 4  # four at once\n", arguments: ["-j", "2"], command: global { $0.jobs = 2 }),
        Configured(file: "--quiet\n", arguments: ["-v"], command: global { $0.verbosity = .verbose }),
        Configured(file: "--metadata-only\n", arguments: ["--media-only"], command: options { $0.scope = .mediaOnly }),
        Configured(file: "--limit-rate '2M'\n--repair\n", arguments: [], command: global { $0.limitRate = 2_097_152 }),
        Configured(
            file: "--repair\n--animated mp4\n", arguments: ["verify"],
            command: Invocation(command: .verify(VerifyOptions(repair: true)))),
        Configured(file: "--dir \"/srv/imgur archive\"\n", arguments: [], command: global { $0.directory = "/srv/imgur archive" }),
    ]

    @Test(arguments: configured)
    func theConfigFileSetsDefaultsTheCommandLineWins(configured: Configured) throws {
        let words = try ConfigFile.words(in: configured.file, path: "config")
        #expect(try CommandLineParser.parse(configured.arguments, defaults: words) == configured.command)
    }

    @Test func aConfigFileWithWhatNoConfigFileCanSetIsAConfigurationError() throws {
        #expect(throws: CommandError.configuration(
            "$XDG_CONFIG_HOME/imgur-archive/config: 'q6i58' is not an option a config file can set")) {
            _ = try CommandLineParser.parse([], defaults: ["q6i58"])
        }
        #expect(throws: CommandError.configuration(
            "$XDG_CONFIG_HOME/imgur-archive/config: '--help' is not an option a config file can set")) {
            _ = try CommandLineParser.parse([], defaults: ["--help"])
        }
        #expect(throws: CommandError.configuration("$XDG_CONFIG_HOME/imgur-archive/config: '-j' takes a number from 1 to 64, not 'x'")) {
            _ = try CommandLineParser.parse([], defaults: ["-j", "x"])
        }
        #expect(throws: CommandError.configuration("config line 2: a quote is not closed")) {
            _ = try ConfigFile.words(in: "-j 4\n--dir 'x\n", path: "config")
        }
    }

    @Test func theConfigFileIsFoundTheXDGWay() {
        #expect(ConfigFile.path(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/imgur-archive/config")
        #expect(ConfigFile.path(environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/h"]) == "/h/.config/imgur-archive/config")
        #expect(ConfigFile.path(environment: ["HOME": "/h"]) == "/h/.config/imgur-archive/config")
        #expect(ConfigFile.path(environment: [:]) == nil)
    }

    /// The README's option list is the help's, line for line: one table makes both.
    @Test func theREADMEListsTheOptionsAsTheHelpDoes() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let lines = Usage.optionLines(for: nil).split(separator: "\n").map { $0.dropFirst(2) }
        #expect(text.contains(lines.joined(separator: "\n")), "update README.md's Options from `imgur-archive --help`")
    }
}
