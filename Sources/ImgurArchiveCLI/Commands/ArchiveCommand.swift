import ArchiveFormat
import Archiver
import DurableFiles
import Foundation
import ImgurAPI
import Jobs

/// Archiving: ids and URLs from the arguments or links.txt, or one account (`user NAME`).
struct ArchiveCommand {
    let options: ArchiveOptions
    /// `imgur-archive user NAME`: the account to archive instead of arguments or links.txt.
    var account: String?

    func run(_ session: Session) async throws -> ExitCode {
        let inputs = try readInputs(session)
        let shard = try ShardChoice.resolve(options, environment: session.context.environment)
        if options.dryRun { return try await dryRun(inputs, shard: shard?.0, session) }
        let api = try session.apiConfiguration(try session.credentials())
        let lock = try await session.lock()
        defer { withExtendedLifetime(lock) {} }
        // Under the lock, what a killed run left at the top (a catalog rewrite, a viewer page) is litter.
        session.layout.directory.removeLeftovers()
        let catalog = try session.openCatalog()
        // Closed here, not whenever the last reference goes: its lock must end with the command
        // (the next run in the same process, as the tests make, would find it taken).
        defer { catalog.close() }
        let services = session.archiveServices(api)
        var request = options.request(jobs: session.global.jobs)
        request.shard = shard?.0
        let reporter = session.reporter

        for invalid in inputs.invalid { reporter.error("\(invalid)") }
        var accounts = AccountLog.load(in: session.layout)
        var plan = try await Planner(services: services, request: request, catalog: catalog)
            .plan(inputs.entries, accounts: &accounts)
        plan.tally.invalidInputs = inputs.invalid.count
        if let (shard, source) = shard {
            reporter.heading("shard", shard.description, "\(source): kept \(plan.shardKept) of \(plan.shardSeen) entries")
        }
        let outcome = try await AlbumScheduler(services: services, request: request, catalog: catalog).run(plan)
        let tally = outcome.tally
        if tally.exitCode == .success, !outcome.interrupted, outcome.fatalError == nil, request.scope == .everything {
            try accounts.record(plan.walkedToTheEnd, complete: true, at: session.context.now())
        }
        // With --quiet a clean run prints nothing at all (cron mails only on trouble).
        if reporter.verbosity > .quiet || tally.exitCode != .success || outcome.interrupted {
            let ending: Tally.Ending = outcome.fatalError != nil ? .fatalError : outcome.interrupted ? .signal : .finished
            reporter.summary(tally.summary(seconds: reporter.elapsed, receivedBytes: reporter.receivedBytes, ending: ending))
        }
        if let error = outcome.fatalError {
            reporter.error("\(error)")
            return ExitStatus.of(error)
        }
        return outcome.interrupted ? .interrupted : tally.exitCode
    }

    /// `--dry-run`: the lines a run would print first, from the catalog alone, under a shared lock
    /// (so that a run writing the catalog meanwhile is not read half-way).
    private func dryRun(_ inputs: InputList, shard: Shard?, _ session: Session) async throws -> ExitCode {
        let reporter = session.reporter
        for invalid in inputs.invalid { reporter.error("\(invalid)") }
        let lock = try await session.lock(shared: true)
        defer { withExtendedLifetime(lock) {} }
        let entries = inputs.entries.filter { entry in entry.reference.id.map { shard?.contains($0) ?? true } ?? true }
        if let shard { reporter.heading("shard", shard.description, "kept \(entries.count) of \(inputs.entries.count) entries") }
        let counts = DryRun.preview(
            entries, catalog: try Catalog.summaries(in: session.layout),
            request: options.request(jobs: session.global.jobs), events: reporter)
        if reporter.verbosity > .quiet || !inputs.invalid.isEmpty { reporter.summary(counts.summary) }
        return inputs.invalid.isEmpty ? .success : .failure
    }

    /// The account of `imgur-archive user NAME`, else arguments and `-i` files when given (an invalid one is a
    /// usage error: nothing runs), else links.txt (an invalid line is reported and skipped).
    private func readInputs(_ session: Session) throws -> InputList {
        let layout = session.layout
        var list = InputList()
        if let account {
            list.add("https://imgur.com/user/\(account)", origin: "argument")
            return list
        }
        if !options.inputs.isEmpty || !options.inputFiles.isEmpty {
            for (index, text) in options.inputs.enumerated() { list.add(text, origin: "argument \(index + 1)") }
            if let first = list.invalid.first { throw CommandError.usage("\(first.error)") }
            // `-i FILE`: relative to where the command was given, as every tool reads its arguments;
            // an invalid line is reported and skipped, as in links.txt.
            for file in options.inputFiles {
                let path = file == "-" ? "/dev/stdin" : file.hasPrefix("/") ? file : "\(session.context.currentDirectory)/\(file)"
                guard file == "-" || FileSystem.exists(path) else { throw CommandError.usage("no such input file: \(file)") }
                try list.add(linksFile: path, name: file == "-" ? "stdin" : file)
            }
            return list
        }
        guard FileSystem.exists(layout.links) else {
            throw CommandError.usage("nothing to archive: give album ids or URLs, or list them in \(layout.links)")
        }
        return try InputList.read(linksFile: layout.links)
    }
}

extension Tally {
    /// The exit status when no fatal error and no signal ended the run.
    var exitCode: ExitCode {
        if hasFailures { return .failure }
        if hasLeftovers { return .temporary }
        return .success
    }
}
