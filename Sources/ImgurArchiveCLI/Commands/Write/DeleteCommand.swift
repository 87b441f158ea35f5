import Foundation
import Jobs
import Uploader

/// `imgur-archive delete JOB|ID ... [--yes]`: deletes uploads by their deletehashes, after a
/// prompt on a terminal (without one, and without `--yes`, nothing is deleted).
struct DeleteCommand {
    let options: DeleteOptions

    func run(_ session: Session) async throws -> ExitCode {
        let credentials = try session.credentials()
        let api = try session.apiConfiguration(credentials)
        let store = try session.jobStore(create: false)
        let budget = RateLimitBudget(reserve: session.context.reserve)
        let deletion = Deletion(client: session.writeClient(api, tokens: nil, budget: budget), events: session.reporter, store: store)
        let (selection, whole, unknown) = try deletion.plan(options.targets)
        for id in unknown { session.reporter.error("\(id): no job here and no upload of any job has this id") }
        let count = selection.values.reduce(0) { $0 + Set($1).count }
        guard count > 0 || !whole.isEmpty else {
            session.reporter.summary("delete: nothing to delete")
            return unknown.isEmpty ? .success : .failure
        }
        if !options.yes {
            guard session.context.inputIsTerminal() else {
                throw CommandError.usage("delete asks first; without a terminal, confirm with --yes")
            }
            session.context.console.err("Delete \(TextFormat.count(count, "upload", "uploads")) from Imgur for good? [y/N] ")
            guard let answer = session.context.readLine()?.lowercased(), answer == "y" || answer == "yes" else {
                session.reporter.summary("delete: nothing deleted")
                return .success
            }
        }
        let outcome = try await deletion.run(selection, wholeJobs: whole)
        session.reporter.summary("delete: \(outcome.deleted) deleted\(outcome.failed > 0 ? ", \(outcome.failed) failed" : "")")
        return outcome.failed > 0 || !unknown.isEmpty ? .failure : .success
    }
}
