import ArchiveFormat
import Archiver
import ExactJSON
import Foundation
import ImgurAPI
import Jobs

/// `imgur-archive user me [--list [--json]]` with a login: every album of the account (hidden and
/// secret ones too), then every image that is in none of them, as single images.
struct OwnAccountCommand {
    let options: ArchiveOptions

    func run(_ session: Session) async throws -> ExitCode {
        let credentials = try session.credentials()
        let api = try session.apiConfiguration(credentials)
        guard let tokens = try session.loginTokens(credentials, api: api) else {
            throw CommandError.configuration(
                "'user me' is the logged-in account, and there is no login ('imgur-archive login'); "
                    + "'user NAME' archives an account's public posts without one")
        }
        let reporter = session.reporter
        if options.listOnly { return try await list(session, api: api, tokens: tokens) }
        let lock = try await session.lock()
        defer { withExtendedLifetime(lock) {} }
        session.layout.directory.removeLeftovers()
        let catalog = try session.openCatalog()
        // Closed here, not whenever the last reference goes: its lock must end with the command
        // (the next run in the same process, as the tests make, would find it taken).
        defer { catalog.close() }
        let services = session.archiveServices(api, tokens: tokens)
        var request = options.request(jobs: session.global.jobs)
        let shard = try ShardChoice.resolve(options, environment: session.context.environment)
        request.shard = shard?.0
        if let (shard, source) = shard { reporter.heading("shard", shard.description, "\(source): the account's items of this shard only") }
        let account = OwnAccount(client: services.client)
        let listing = try await account.list()
        reporter.heading(
            "account", "me",
            "\(TextFormat.count(listing.albums.count, "album", "albums")) and \(TextFormat.count(listing.images.count, "image", "images"))")
        for problem in listing.shortfalls { reporter.error("your account: \(problem)") }
        let planner = Planner(services: services, request: request, catalog: catalog)
        let scheduler = AlbumScheduler(services: services, request: request, catalog: catalog)
        let albums = try await scheduler.run(try planner.plan(listed: listing.albums.map { WorkItem(id: $0.id, source: .listed(.album($0))) }))
        var tally = albums.tally
        var interrupted = albums.interrupted
        var fatal = albums.fatalError
        if !interrupted, fatal == nil {
            let members = try await account.albumMembers(listing.albums, layout: session.layout)
            let loose = listing.images.filter { !members.contains($0.id.rawValue) }
            let singles = try await scheduler.run(try planner.plan(listed: loose.map { WorkItem(id: $0.id, source: .listed(.image($0))) }))
            tally = tally + singles.tally
            interrupted = singles.interrupted
            fatal = singles.fatalError
        }
        if !listing.shortfalls.isEmpty { tally.failed += 1 }
        let ending: Tally.Ending = fatal != nil ? .fatalError : interrupted ? .signal : .finished
        if reporter.verbosity > .quiet || tally.exitCode != .success || interrupted {
            reporter.summary(tally.summary(seconds: reporter.elapsed, receivedBytes: reporter.receivedBytes, ending: ending))
        }
        if let fatal {
            reporter.error("\(fatal)")
            return ExitStatus.of(fatal)
        }
        return interrupted ? .interrupted : tally.exitCode
    }

    /// `--list`: what the account holds, downloading nothing (one line, or one JSON object, each).
    private func list(_ session: Session, api: APIConfiguration, tokens: LoginTokens) async throws -> ExitCode {
        let services = session.archiveServices(api, tokens: tokens)
        let account = OwnAccount(client: services.client)
        let listing = try await account.list()
        let members = try await account.albumMembers(listing.albums, layout: session.layout)
        let console = session.context.console
        for album in listing.albums {
            let privacy = album.raw["privacy"]?.stringValue
            if options.json {
                let line: JSONValue = .object([
                    "kind": "album", "id": .string(album.id.rawValue), "title": .optional(album.title),
                    "privacy": .optional(privacy), "images_count": album.imagesCount.map(JSONValue.int) ?? .null,
                ])
                console.out(String(decoding: line.serialized(.compact), as: UTF8.self) + "\n")
            } else {
                console.out(TextFormat.terminalSafe(
                    "album   \(album.id)  \(album.imagesCount.map { TextFormat.count(Int($0), "item", "items") } ?? "")"
                        + "  \(privacy ?? "")  \(TextFormat.quoted(album.title))") + "\n")
            }
        }
        for image in listing.images where !members.contains(image.id.rawValue) {
            if options.json {
                let line: JSONValue = .object([
                    "kind": "image", "id": .string(image.id.rawValue), "title": .optional(image.title), "type": .optional(image.type),
                    "size": image.size.map(JSONValue.int) ?? .null, "link": .optional(image.link?.absoluteString),
                ])
                console.out(String(decoding: line.serialized(.compact), as: UTF8.self) + "\n")
            } else {
                console.out(TextFormat.terminalSafe(
                    "image   \(image.id)  \(image.type ?? "")  \(TextFormat.size(image.size ?? 0))  \(TextFormat.quoted(image.title))") + "\n")
            }
        }
        for problem in listing.shortfalls { session.reporter.error("your account: \(problem)") }
        return listing.shortfalls.isEmpty ? .success : .failure
    }
}
