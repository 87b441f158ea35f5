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

/// `Credentials.find`: where the client id comes from, in order, and how bad files are reported.
@Suite struct CredentialsTests {
    /// A secret that must never show up in a message.
    static let secret = "s3cretV4lue9"
    static let isRoot = getuid() == 0

    /// `$ROOT` in paths and environment values stands for the test's temporary folder; the
    /// storage directory is `$ROOT/store`.
    struct Scenario: Sendable, CustomTestStringConvertible {
        enum Outcome: Sendable {
            case found(clientID: String, source: String)
            case missing([String])
            case invalid(path: String, reason: String)
        }

        let name: String
        var environment: [String: String] = [:]
        /// Relative path → content; nil content makes a folder there.
        var files: [String: String?] = [:]
        let outcome: Outcome
        var testDescription: String { name }
    }

    static let storeFile = "store/api_secrets.json"
    static let xdgFile = "xdg/imgur-archive/api_secrets.json"
    static let homeFile = "home/.config/imgur-archive/api_secrets.json"

    static func secrets(_ id: String) -> String { #"{"client_id": "\#(id)", "client_secret": "\#(secret)"}"# }

    static let scenarios: [Scenario] = [
        Scenario(
            name: "the environment wins, trimmed",
            environment: ["IMGUR_CLIENT_ID": "  envID123 \n", "XDG_CONFIG_HOME": "$ROOT/xdg", "HOME": "$ROOT/home"],
            files: [storeFile: secrets("storeID"), xdgFile: secrets("xdgID"), homeFile: secrets("homeID")],
            outcome: .found(clientID: "envID123", source: "IMGUR_CLIENT_ID")),
        Scenario(
            name: "the environment wins over an invalid file",
            environment: ["IMGUR_CLIENT_ID": "envID123"], files: [storeFile: "not json"],
            outcome: .found(clientID: "envID123", source: "IMGUR_CLIENT_ID")),
        Scenario(
            name: "an empty environment variable is ignored",
            environment: ["IMGUR_CLIENT_ID": "", "HOME": "$ROOT/home"],
            files: [storeFile: secrets("storeID"), homeFile: secrets("homeID")],
            outcome: .found(clientID: "storeID", source: "$ROOT/\(storeFile)")),
        Scenario(
            name: "a blank environment variable is ignored",
            environment: ["IMGUR_CLIENT_ID": " \t\n"], files: [storeFile: secrets("storeID")],
            outcome: .found(clientID: "storeID", source: "$ROOT/\(storeFile)")),
        Scenario(
            name: "the storage directory before the user's config",
            environment: ["XDG_CONFIG_HOME": "$ROOT/xdg", "HOME": "$ROOT/home"],
            files: [storeFile: secrets("  storeID  "), xdgFile: secrets("xdgID"), homeFile: secrets("homeID")],
            outcome: .found(clientID: "storeID", source: "$ROOT/\(storeFile)")),
        Scenario(
            name: "XDG_CONFIG_HOME before HOME",
            environment: ["XDG_CONFIG_HOME": "$ROOT/xdg", "HOME": "$ROOT/home"],
            files: [xdgFile: secrets("xdgID"), homeFile: secrets("homeID")],
            outcome: .found(clientID: "xdgID", source: "$ROOT/\(xdgFile)")),
        Scenario(
            name: "HOME/.config when XDG_CONFIG_HOME is unset",
            environment: ["HOME": "$ROOT/home"], files: [xdgFile: secrets("xdgID"), homeFile: secrets("homeID")],
            outcome: .found(clientID: "homeID", source: "$ROOT/\(homeFile)")),
        Scenario(
            name: "a relative XDG_CONFIG_HOME is ignored",
            environment: ["XDG_CONFIG_HOME": "xdg", "HOME": "$ROOT/home"],
            files: [xdgFile: secrets("xdgID"), homeFile: secrets("homeID")],
            outcome: .found(clientID: "homeID", source: "$ROOT/\(homeFile)")),
        Scenario(
            name: "an empty XDG_CONFIG_HOME is ignored",
            environment: ["XDG_CONFIG_HOME": "", "HOME": "$ROOT/home"], files: [homeFile: secrets("homeID")],
            outcome: .found(clientID: "homeID", source: "$ROOT/\(homeFile)")),
        Scenario(
            name: "with XDG_CONFIG_HOME set, HOME/.config is not searched",
            environment: ["XDG_CONFIG_HOME": "$ROOT/xdg", "HOME": "$ROOT/home"], files: [homeFile: secrets("homeID")],
            outcome: .missing(["$ROOT/\(storeFile)", "$ROOT/\(xdgFile)"])),
        Scenario(
            name: "nothing anywhere",
            environment: ["HOME": "$ROOT/home"],
            outcome: .missing(["$ROOT/\(storeFile)", "$ROOT/\(homeFile)"])),
        Scenario(
            name: "nothing, and neither HOME nor XDG_CONFIG_HOME",
            outcome: .missing(["$ROOT/\(storeFile)"])),
        Scenario(
            name: "nothing, and an empty HOME",
            environment: ["HOME": "", "IMGUR_CLIENT_ID": ""],
            outcome: .missing(["$ROOT/\(storeFile)"])),

        // Files that exist but cannot be used: no falling back to the next place.
        Scenario(
            name: "invalid JSON", environment: ["HOME": "$ROOT/home"],
            files: [storeFile: #"{"client_id": "\#(secret)", "client_secret": "#, homeFile: secrets("homeID")],
            outcome: .invalid(path: "$ROOT/\(storeFile)", reason: "not a JSON object like api_secrets.TEMPLATE.json")),
        Scenario(
            name: "an empty file", files: [storeFile: ""],
            outcome: .invalid(path: "$ROOT/\(storeFile)", reason: "not a JSON object like api_secrets.TEMPLATE.json")),
        Scenario(
            name: "a JSON array", files: [storeFile: #"["\#(secret)"]"#],
            outcome: .invalid(path: "$ROOT/\(storeFile)", reason: "not a JSON object like api_secrets.TEMPLATE.json")),
        Scenario(
            name: "a JSON string", files: [storeFile: #""\#(secret)""#],
            outcome: .invalid(path: "$ROOT/\(storeFile)", reason: "not a JSON object like api_secrets.TEMPLATE.json")),
        Scenario(
            name: "no client_id", files: [storeFile: #"{"client_secret": "\#(secret)"}"#],
            outcome: .invalid(
                path: "$ROOT/\(storeFile)", reason: "\"client_id\" is missing or still the template's placeholder")),
        Scenario(
            name: "client_id is a number", files: [storeFile: #"{"client_id": 12345, "client_secret": "\#(secret)"}"#],
            outcome: .invalid(
                path: "$ROOT/\(storeFile)", reason: "\"client_id\" is missing or still the template's placeholder")),
        Scenario(
            name: "client_id is blank", files: [storeFile: #"{"client_id": "  ", "client_secret": "\#(secret)"}"#],
            outcome: .invalid(
                path: "$ROOT/\(storeFile)", reason: "\"client_id\" is missing or still the template's placeholder")),
        Scenario(
            name: "the template's placeholder",
            files: [storeFile: #"{"client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"}"#],
            outcome: .invalid(
                path: "$ROOT/\(storeFile)", reason: "\"client_id\" is missing or still the template's placeholder")),
        Scenario(
            name: "the placeholder in lower case", files: [storeFile: #"{"client_id": "your_client_id"}"#],
            outcome: .invalid(
                path: "$ROOT/\(storeFile)", reason: "\"client_id\" is missing or still the template's placeholder")),
        Scenario(
            name: "a folder instead of a file", environment: ["HOME": "$ROOT/home"],
            files: [storeFile: nil, homeFile: secrets("homeID")],
            outcome: .invalid(path: "$ROOT/\(storeFile)", reason: "Is a directory")),
        Scenario(
            name: "a folder in the user's config", environment: ["XDG_CONFIG_HOME": "$ROOT/xdg"], files: [xdgFile: nil],
            outcome: .invalid(path: "$ROOT/\(xdgFile)", reason: "Is a directory")),
        Scenario(
            name: "a file over 64 KiB",
            files: [storeFile: secrets("storeID") + String(repeating: " ", count: 70_000)],
            outcome: .invalid(path: "$ROOT/\(storeFile)", reason: "larger than 65536 bytes")),
    ]

    final class Folder {
        let path: String

        init() throws {
            path = (NSTemporaryDirectory() as NSString).appendingPathComponent("credentials-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: "\(path)/store", withIntermediateDirectories: true)
        }

        func resolve(_ text: String) -> String { text.replacingOccurrences(of: "$ROOT", with: path) }

        /// Writes a file (mode 0600 unless told) or makes a folder, with its parents.
        func create(_ relative: String, _ content: String?, mode: Int = 0o600) throws {
            let full = "\(path)/\(relative)"
            guard let content else {
                try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
                return
            }
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: URL(fileURLWithPath: full))
            #expect(chmod(full, mode_t(mode)) == 0)
        }

        var storage: StorageLayout {
            get throws { try StorageLayout(root: "\(path)/store") }
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    static func find(_ environment: [String: String], _ storage: StorageLayout) -> Result<Credentials, CommandError> {
        do {
            return .success(try Credentials.find(environment: environment, storage: storage))
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: scenarios)
    func findsTheClientID(scenario: Scenario) throws {
        let folder = try Folder()
        defer { folder.remove() }
        for (relative, content) in scenario.files { try folder.create(relative, content) }
        let environment = scenario.environment.mapValues(folder.resolve)
        try FileManager.default.createDirectory(atPath: "\(folder.path)/store", withIntermediateDirectories: true)
        let result = Self.find(environment, try folder.storage)
        switch scenario.outcome {
        case .found(let clientID, let source):
            let credentials = try result.get()
            #expect(credentials.clientID == clientID)
            #expect(credentials.source == folder.resolve(source))
            #expect(credentials.warnings.isEmpty)
            // A file's client secret comes with it (only a login needs it); the environment's id comes alone.
            #expect(credentials.clientSecret == (source == "IMGUR_CLIENT_ID" ? nil : Self.secret))
        case .missing:
            // Nothing configured anywhere: the public client id, said to be so.
            let credentials = try result.get()
            #expect(credentials.clientID == Credentials.publicClientID)
            #expect(credentials.isPublicFallback)
        case .invalid(let path, let reason):
            #expect(throws: CommandError.invalidCredentials(path: folder.resolve(path), reason: reason)) {
                try result.get()
            }
            if case .failure(let error) = result {
                #expect(!error.description.contains(Self.secret))
                #expect(error.description == "cannot use credentials file \(folder.resolve(path)): \(reason)")
            }
        }
    }

    @Test(.enabled(if: !isRoot, "root reads files whatever their mode"))
    func anUnreadableFileIsInvalid() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.create(Self.storeFile, Self.secrets("storeID"), mode: 0o000)
        let path = "\(folder.path)/\(Self.storeFile)"
        #expect(throws: CommandError.invalidCredentials(path: path, reason: "Permission denied")) {
            try Self.find([:], folder.storage).get()
        }
    }

    struct Mode: Sendable, CustomTestStringConvertible {
        let mode: Int
        let warns: Bool
        var testDescription: String { String(mode, radix: 8) }
    }

    @Test(arguments: [
        Mode(mode: 0o600, warns: false), Mode(mode: 0o400, warns: false), Mode(mode: 0o700, warns: false),
        Mode(mode: 0o644, warns: true), Mode(mode: 0o640, warns: true), Mode(mode: 0o604, warns: true),
        Mode(mode: 0o666, warns: true),
    ])
    func warnsAboutAFileOthersCanRead(mode: Mode) throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.create(Self.storeFile, Self.secrets("storeID"), mode: mode.mode)
        let path = "\(folder.path)/\(Self.storeFile)"
        let credentials = try Credentials.find(environment: [:], storage: folder.storage)
        #expect(credentials.clientID == "storeID")
        let octal = String(mode.mode, radix: 8)
        let expected = mode.warns ? ["\(path) is readable by other users (mode \(octal)); run: chmod 600 \(path)"] : []
        #expect(credentials.warnings == expected)
        #expect(!credentials.warnings.joined().contains("storeID"))
    }

    @Test func aConfiguredClientIDAlwaysWinsOverThePublicOne() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: "\(folder.path)/store", withIntermediateDirectories: true)
        let configured = try Credentials.find(environment: ["IMGUR_CLIENT_ID": "mine"], storage: try folder.storage)
        #expect(configured.clientID == "mine")
        #expect(!configured.isPublicFallback)
        let fallback = try Credentials.find(environment: ["HOME": folder.path], storage: try folder.storage)
        #expect(fallback.clientID == "546c25a59c58ad7")
    }

    @Test func userConfigPath() {
        #expect(Credentials.userConfigPath(["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/imgur-archive/api_secrets.json")
        #expect(Credentials.userConfigPath(["XDG_CONFIG_HOME": "x", "HOME": "/h"]) == "/h/.config/imgur-archive/api_secrets.json")
        #expect(Credentials.userConfigPath(["HOME": "/h"]) == "/h/.config/imgur-archive/api_secrets.json")
        #expect(Credentials.userConfigPath(["HOME": ""]) == nil)
        #expect(Credentials.userConfigPath([:]) == nil)
    }
}
