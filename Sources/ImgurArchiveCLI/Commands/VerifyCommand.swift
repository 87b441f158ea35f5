import ArchiveFormat
import Archiver
import DurableFiles
import Foundation
import ImgurAPI
import Jobs

/// `imgur-archive verify [ID...] [--repair]`: checks the archive offline, album by album, and with
/// `--repair` fetches again what is missing or damaged, under the same lock.
struct VerifyCommand {
    let options: VerifyOptions

    func run(_ session: Session) async throws -> ExitCode {
        var requested: [ImgurID] = []
        for text in options.ids {
            guard let id = ImgurID(text) else {
                throw CommandError.usage("not a valid Imgur id (5 to 7 letters or digits): \(text)")
            }
            requested.append(id)
        }
        let reporter = session.reporter
        // Held while checking (a run writing the archive meanwhile would show half-written albums)
        // and through the repair.
        let lock = try await session.lock(shared: !options.repair)
        defer { withExtendedLifetime(lock) {} }
        let verification = Verification(layout: session.layout, events: reporter, jobs: session.global.jobs)
        var checks = await verification.check(try verification.targets(requested))
        let damaged = checks.filter { !$0.problems.isEmpty }
        if options.repair, damaged.contains(where: { $0.problems.contains(where: \.isRepairable) }) {
            let api = try session.apiConfiguration(try session.credentials())
            let catalog = try session.openCatalog()
            let (targets, outcome) = try await verification.repair(
                damaged, services: session.archiveServices(api), request: ArchiveOptions().request(jobs: session.global.jobs),
                catalog: catalog)
            if let error = outcome.fatalError { throw error }
            let recheck = await verification.check(targets, quietly: true)
            checks = checks.map { check in recheck.first(where: { $0.id == check.id }) ?? check }
            for check in recheck { verification.report(check, after: "repair") }
        }
        let stillDamaged = checks.filter { !$0.problems.isEmpty }
        let files = checks.reduce(0) { $0 + $1.files }
        let bytes = checks.reduce(Int64(0)) { $0 + $1.bytes }
        let verdict = stillDamaged.isEmpty
            ? "\(TextFormat.count(checks.count, "album", "albums")) intact"
            : "\(checks.count - stillDamaged.count) intact, \(stillDamaged.count) with problems"
        if reporter.verbosity > .quiet || !stillDamaged.isEmpty {
            reporter.summary(
                "verify: \(verdict); \(files) files, \(TextFormat.size(bytes)) checked in \(TextFormat.duration(reporter.elapsed))")
        }
        return stillDamaged.isEmpty ? .success : .failure
    }
}
