import DurableFiles
import Foundation
import ImgurAPI
import Jobs
import LocalAPI
import Uploader

/// `imgur-archive serve [--port N] [--listen ADDR --token-file FILE]`: seed 002's HTTP API
/// (docs/http-api.md) over the same upload jobs as the command line. Jobs run in the background,
/// one after another; SIGINT or SIGTERM stops taking requests, lets the running upload settle
/// (what was in flight becomes uncertain or pending), and the next start resumes them.
struct ServeCommand {
    let options: ServeOptions

    func run(_ session: Session) async throws -> ExitCode {
        let token = try readToken(session)
        if options.listen != "127.0.0.1", token == nil {
            throw CommandError.usage("serving on \(options.listen) needs --token-file: anyone who reaches it could upload as you")
        }
        let credentials = try session.credentials()
        let api = try session.apiConfiguration(credentials)
        let tokens = try session.loginTokens(credentials, api: api)
        let store = try session.jobStore()
        let incoming = "\(store.path)/incoming"
        try FileSystem.createDirectories(incoming, mode: 0o700)
        let (queue, queued) = AsyncStream.makeStream(of: String.self)
        let account = await tokens?.current.account
        let handler = UploadAPI(
            store: store, incoming: incoming, token: token, account: tokens == nil ? nil : account ?? "me",
            now: session.context.now) { queued.yield($0) }
        let server: HTTPServer
        do {
            server = try HTTPServer(address: options.listen, port: options.port, spool: incoming) { handler.handle($0) }
        } catch {
            throw CommandError.configuration("\(error)")
        }
        defer { server.stop() }
        // On stdout, so that a script (or a test) started with --port 0 learns the port.
        session.context.console.out("serving http://\(options.listen):\(server.port)/v1/images (docs/http-api.md)\n")
        for case .success(let (job, items)) in store.all()
        where job.origin == .serve && [.running, .interrupted].contains(job.status)
            && items.contains(where: { [.pending, .sending, .processing, .uncertain].contains($0.state) })
        {
            session.reporter.note("resuming job \(job.id)")
            queued.yield(job.id)
        }
        let run = session.uploadRun(api, tokens: tokens, store: store)
        await withTaskCancellationHandler {
            for await id in queue {
                if Task.isCancelled { break }
                await runJob(id, run: run, store: store, session: session)
            }
        } onCancel: {
            queued.finish()
        }
        return .interrupted
    }

    private func runJob(_ id: String, run: UploadRun, store: JobStore, session: Session) async {
        do {
            let file = try store.open(id)
            defer { file.close() }
            let outcome = try await run.run(file)
            session.reporter.heading("job", id, UploadCommand.summary(outcome, job: id))
            if file.current.job.status == .completed || file.current.job.status == .completedWithFailures {
                removeIncoming(file.current.items, under: "\(store.path)/incoming")
            }
        } catch {
            session.reporter.error("job \(id): \(error)")
        }
    }

    /// The files a finished job's form brought (`upload-jobs/incoming/<folder>/`).
    private func removeIncoming(_ items: [UploadItem], under incoming: String) {
        let folders = Set(items.compactMap { item -> String? in
            guard case .file(let path) = item.source, path.hasPrefix(incoming + "/") else { return nil }
            return (path as NSString).deletingLastPathComponent
        })
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// `--token-file FILE` (one line, at least 16 characters), else `IMGUR_ARCHIVE_TOKEN`; never argv.
    private func readToken(_ session: Session) throws -> String? {
        let text: String?
        if let path = options.tokenFile {
            guard let data = try? FileSystem.read(path.hasPrefix("/") ? path : "\(session.context.currentDirectory)/\(path)", limit: 4096),
                let line = String(data: data, encoding: .utf8)
            else { throw CommandError.configuration("cannot read the token file \(path)") }
            text = line
        } else {
            text = session.context.environment["IMGUR_ARCHIVE_TOKEN"]
        }
        guard let token = text?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else { return nil }
        guard token.count >= 16 else { throw CommandError.configuration("the serve token must be at least 16 characters") }
        return token
    }
}
