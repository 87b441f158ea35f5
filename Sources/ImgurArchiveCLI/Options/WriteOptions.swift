import Jobs
import Uploader

/// Options of the write side: `upload`, `jobs`, `uploads`, `delete`, `login`, `serve`, and
/// `user me --list`.
public struct UploadOptions: Equatable, Sendable {
    /// Files, folders and URLs.
    public var inputs: [String] = []
    public var newAlbum: String?
    /// `--album ID|DELETEHASH`.
    public var album: String?
    public var title: String?
    public var description: String?
    public var anonymous = false
    /// `--resume JOB`.
    public var resume: String?
    public var retryUncertain = false

    public init() {}
}

/// `restore ID|DIR ...`.
public struct RestoreOptions: Equatable, Sendable {
    /// Archived album ids, or album folders.
    public var targets: [String] = []
    /// `--privacy`: instead of the archived one.
    public var privacy: String?
    public var dryRun = false
    public var anonymous = false
    public var retryUncertain = false
    /// `--again`: a finished restore's file set aside, and the album restored once more.
    public var again = false

    public init() {}
}

/// `merge SRC... [--into DST] [--move]`.
public struct MergeOptions: Equatable, Sendable {
    public var sources: [String] = []
    public var into: String?
    public var move = false

    public init() {}
}

/// `sync`.
public struct SyncOptions: Equatable, Sendable {
    public var delete = false
    public var push = false
    public var dryRun = false
    /// New albums' privacy (default hidden).
    public var privacy: String?
    public var anonymous = false
    public var retryUncertain = false

    public init() {}
}

public struct ListOptions: Equatable, Sendable {
    /// `jobs JOB`: one job.
    public var job: String?
    public var json = false

    public init() {}
}

public struct DeleteOptions: Equatable, Sendable {
    public var targets: [String] = []
    public var yes = false

    public init() {}
}

public struct LoginOptions: Equatable, Sendable {
    /// `--refresh-token -`: read an existing refresh token from stdin.
    public var refreshTokenFromStdin = false
    public var status = false

    public init() {}
}

public struct ServeOptions: Equatable, Sendable {
    public var port = 8080
    /// `--listen ADDR`: another address than 127.0.0.1; needs a token.
    public var listen = "127.0.0.1"
    /// `--token-file FILE`: the bearer token every request must carry (a file, never argv).
    public var tokenFile: String?

    public init() {}
}

extension Usage {
    static let writeOptions: [OptionSpec] = [
        OptionSpec(
            names: ["--new-album"], value: "<title>", help: ["upload: put the items in a new album, in argument order."],
            commands: [.upload], apply: { parsed, _, value in parsed.upload.newAlbum = value }),
        OptionSpec(
            names: ["--album"], value: "<id>", help: ["upload: add the items to this album (an id, or an anonymous", "album's deletehash)."],
            commands: [.upload], apply: { parsed, _, value in parsed.upload.album = value }),
        OptionSpec(
            names: ["--title"], value: "<text>", help: ["upload: the items' title."], commands: [.upload],
            apply: { parsed, _, value in parsed.upload.title = value }),
        OptionSpec(
            names: ["--description"], value: "<text>",
            help: ["upload: the items' description (a <file>.txt beside a file", "is that item's own)."], commands: [.upload],
            apply: { parsed, _, value in parsed.upload.description = value }),
        OptionSpec(
            names: ["--anonymous"], value: nil, help: ["upload, restore, sync: anonymously even when logged in."],
            commands: [.upload, .restore, .sync],
            apply: { parsed, _, _ in parsed.upload.anonymous = true }),
        OptionSpec(
            names: ["--resume"], value: "<job>", help: ["upload: finish a job: what is pending, failed or processing."],
            commands: [.upload], apply: { parsed, _, value in parsed.upload.resume = value }),
        OptionSpec(
            names: ["--retry-uncertain"], value: nil,
            help: ["upload --resume, restore, sync: also send again items whose", "answer was lost (check first: they may be on Imgur)."],
            commands: [.upload, .restore, .sync], apply: { parsed, _, _ in parsed.upload.retryUncertain = true }),
        OptionSpec(
            names: ["--privacy"], value: "<p>",
            help: ["restore, sync: a new album's privacy: public, hidden or secret", "(default: the archived one; for sync, hidden)."],
            commands: [.restore, .sync],
            apply: { (parsed, name, value) throws(CommandError) in
                guard let value, RestorePlan.privacies.contains(value) else {
                    throw .usage("'\(name)' takes public, hidden or secret, not '\(value ?? "")'")
                }
                parsed.restore.privacy = value
                parsed.sync.privacy = value
            }),
        OptionSpec(
            names: ["--again"], value: nil,
            help: ["restore: restore an album restored before once more (a new", "album; the earlier restore's file is kept as restored_<ID>-<n>.json)."],
            commands: [.restore], apply: { parsed, _, _ in parsed.restore.again = true }),
        OptionSpec(
            names: ["--delete"], value: nil, help: ["sync: also delete on Imgur what was deleted here (and the old", "versions of edited files). Nothing local is ever deleted."],
            commands: [.sync], apply: { parsed, _, _ in parsed.sync.delete = true }),
        OptionSpec(
            names: ["--push"], value: nil, help: ["sync: upload again what Imgur lost since the last sync (an", "image, or a whole deleted album)."],
            commands: [.sync], apply: { parsed, _, _ in parsed.sync.push = true }),
        OptionSpec(
            names: ["--into"], value: "<dir>", help: ["merge: the archive to merge into (default: the storage directory)."],
            commands: [.merge], apply: { parsed, _, value in parsed.merge.into = value }),
        OptionSpec(
            names: ["--move"], value: nil, help: ["merge: remove a source's album folder once it is copied and", "verified (on one filesystem folders are always moved)."],
            commands: [.merge], apply: { parsed, _, _ in parsed.merge.move = true }),
        OptionSpec(
            names: ["--json"], value: nil, help: ["jobs, uploads, user me --list: JSON (one object a line for lists)."],
            commands: [.jobs, .uploads, .user], apply: { parsed, _, _ in parsed.list.json = true }),
        OptionSpec(
            names: ["--list"], value: nil, help: ["user me: list what the account holds, download nothing."],
            commands: [.user], apply: { parsed, _, _ in parsed.archive.listOnly = true }),
        OptionSpec(
            names: ["-y", "--yes"], value: nil, help: ["delete: do not ask first."], commands: [.delete],
            apply: { parsed, _, _ in parsed.delete.yes = true }),
        OptionSpec(
            names: ["--refresh-token"], value: "-", help: ["login: read an existing refresh token from stdin (- only:", "never from the command line)."],
            commands: [.login],
            apply: { (parsed, name, value) throws(CommandError) in
                guard value == "-" else {
                    throw .usage("'\(name)' reads the token from stdin: give '-', never the token itself (argv is visible to every user)")
                }
                parsed.login.refreshTokenFromStdin = true
            }),
        OptionSpec(
            names: ["--status"], value: nil, help: ["login: who is logged in, and until when (no secret shown)."],
            commands: [.login], apply: { parsed, _, _ in parsed.login.status = true }),
        OptionSpec(
            names: ["--port"], value: "<n>", help: ["serve: the port (default 8080; 0 picks a free one)."], commands: [.serve],
            apply: { (parsed, name, value) throws(CommandError) in
                guard let value, let port = Int(value), (0...65_535).contains(port) else {
                    throw .usage("'\(name)' takes a port number from 0 to 65535, not '\(value ?? "")'")
                }
                parsed.serve.port = port
            }),
        OptionSpec(
            names: ["--listen"], value: "<addr>", help: ["serve: listen on this IPv4 address (not 127.0.0.1 only with", "--token-file)."],
            commands: [.serve], apply: { parsed, _, value in parsed.serve.listen = value ?? "" }),
        OptionSpec(
            names: ["--token-file"], value: "<file>", help: ["serve: every request must carry the token in this file as", "'Authorization: Bearer <token>'."],
            commands: [.serve], apply: { parsed, _, value in parsed.serve.tokenFile = value }),
    ]
}
