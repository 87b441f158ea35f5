import Foundation
import HTTPCore

/// Prints every request and its answer with `--verbose`; passes straight through otherwise.
struct VerboseTransport: HTTPTransport {
    let base: any HTTPTransport
    let reporter: Reporter

    init(_ base: any HTTPTransport, reporter: Reporter) {
        self.base = base
        self.reporter = reporter
    }

    func stream(_ request: HTTPRequest, into sink: any ResponseSink) async throws -> HTTPResponseHead {
        guard reporter.verbosity == .verbose else { return try await base.stream(request, into: sink) }
        let started = ProcessInfo.processInfo.systemUptime
        let range = request.headers["Range"].map { " (\($0))" } ?? ""
        do {
            let head = try await base.stream(request, into: sink)
            let milliseconds = Int((ProcessInfo.processInfo.systemUptime - started) * 1000)
            reporter.verbose("\(request.method) \(request.url.absoluteString)\(range) -> \(head.status) in \(milliseconds) ms")
            return head
        } catch {
            reporter.verbose("\(request.method) \(request.url.absoluteString)\(range) -> \(error)")
            throw error
        }
    }
}
