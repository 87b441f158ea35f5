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
        var seen: Set<ImgurID> = []
        for text in options.ids {
            // Ids and URLs, as the archiver takes them; an account is not one album.
            let reference: ImgurReference
            do {
                reference = try ImgurReference.parse(text)
            } catch {
                throw CommandError.usage("\(error)")
            }
            guard let id = reference.id else {
                throw CommandError.usage("verify checks albums and images, not accounts: \(text)")
            }
            if seen.insert(id).inserted { requested.append(id) }
        }
        let reporter = session.reporter
        try session.requireArchive()
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
            // Closed here, not whenever the last reference goes: its lock must end with the command
            // (the next run in the same process, as the tests make, would find it taken).
            defer { catalog.close() }
            let (targets, outcome) = try await verification.repair(
                damaged, services: session.archiveServices(api), request: ArchiveOptions().request(jobs: session.global.jobs),
                catalog: catalog)
            if let error = outcome.fatalError { throw error }
            let recheck = await verification.check(targets, quietly: true)
            let rechecked = Dictionary(recheck.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            checks = checks.map { check in rechecked[check.id] ?? check }
            for check in recheck { verification.report(check, after: "repair") }
        }
        let stillDamaged = checks.filter { !$0.problems.isEmpty }.count
        let interrupted = checks.filter { if case .interrupted = $0.state { true } else { false } }.count
        let notArchived = checks.filter { $0.state == .notArchived }.count
        let unavailable = checks.filter { $0.state == .unavailable }.count
        let intact = checks.count - stillDamaged - interrupted - notArchived - unavailable
        var parts = ["\(TextFormat.count(intact, "album", "albums")) intact"]
        if stillDamaged > 0 { parts.append("\(stillDamaged) with problems") }
        if interrupted > 0 { parts.append("\(interrupted) incomplete (run imgur-archive to finish)") }
        if notArchived > 0 { parts.append("\(notArchived) not in the archive") }
        if unavailable > 0 { parts.append("\(unavailable) recorded unavailable") }
        let files = checks.reduce(0) { $0 + $1.files }
        let bytes = checks.reduce(Int64(0)) { $0 + $1.bytes }
        let status: ExitCode = stillDamaged + notArchived > 0 ? .failure : interrupted > 0 ? .temporary : .success
        if reporter.verbosity > .quiet || status != .success {
            reporter.summary(
                "verify: \(parts.joined(separator: ", ")); \(TextFormat.count(files, "file", "files")), "
                    + "\(TextFormat.size(bytes)) checked in \(TextFormat.duration(reporter.elapsed))")
        }
        return status
    }
}
