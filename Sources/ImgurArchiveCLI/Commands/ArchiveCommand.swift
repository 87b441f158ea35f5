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
        let inputs = try readInputs(session.layout)
        let api = try session.apiConfiguration(try session.credentials())
        let lock = try await session.lock()
        defer { withExtendedLifetime(lock) {} }
        // Under the lock, what a killed run left at the top (a catalog rewrite, a viewer page) is litter.
        session.layout.directory.removeLeftovers()
        let catalog = try session.openCatalog()
        let services = session.archiveServices(api)
        let request = options.request(jobs: session.global.jobs)
        let reporter = session.reporter

        for invalid in inputs.invalid { reporter.error("\(invalid)") }
        var accounts = AccountLog.load(in: session.layout)
        var plan = try await Planner(services: services, request: request, catalog: catalog)
            .plan(inputs.entries, accounts: &accounts)
        plan.tally.invalidInputs = inputs.invalid.count
        let outcome = try await AlbumScheduler(services: services, request: request, catalog: catalog).run(plan)
        let tally = outcome.tally
        if tally.exitCode == .success, !outcome.interrupted, outcome.fatalError == nil, request.scope == .everything {
            for name in plan.walkedToTheEnd { try accounts.record(name, complete: true, at: session.context.now()) }
        }
        // With --quiet a clean run prints nothing at all (cron mails only on trouble).
        if reporter.verbosity > .quiet || tally.exitCode != .success || outcome.interrupted {
            reporter.summary(tally.summary(seconds: reporter.elapsed))
        }
        if let error = outcome.fatalError {
            reporter.error("\(error)")
            return ExitStatus.of(error)
        }
        return outcome.interrupted ? .interrupted : tally.exitCode
    }

    /// The account of `imgur-archive user NAME`, else arguments when given (an invalid one is a
    /// usage error: nothing runs), else links.txt (an invalid line is reported and skipped).
    private func readInputs(_ layout: StorageLayout) throws -> InputList {
        if let account {
            var list = InputList()
            list.add("https://imgur.com/user/\(account)", origin: "argument")
            return list
        }
        if !options.inputs.isEmpty {
            var list = InputList()
            for (index, text) in options.inputs.enumerated() { list.add(text, origin: "argument \(index + 1)") }
            if let first = list.invalid.first { throw CommandError.usage("\(first.error)") }
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
