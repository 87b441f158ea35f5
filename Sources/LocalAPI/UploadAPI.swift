import DurableFiles
import ExactJSON
import Foundation
import Uploader

/// Seed 002's HTTP API over the same upload jobs as the command line (docs/http-api.md):
///
/// - `POST /v1/images/upload`: `{"urls": […]}` (or multipart files) → `202 {"job_id": …}` at
///   once; the job runs in the background.
/// - `GET /v1/images/uploaded/<job>`: the job's status.
/// - `GET /v1/images`: every link uploaded from this storage directory.
public struct UploadAPI: Sendable {
    let store: JobStore
    /// Where multipart files are unpacked: `upload-jobs/incoming/<job-to-be>/`.
    let incoming: String
    /// Every request must carry `Authorization: Bearer <token>` when set.
    let token: String?
    /// The account jobs upload to (nil: anonymous).
    let account: String?
    let now: @Sendable () -> Date
    /// Queues a new job to run.
    let start: @Sendable (String) -> Void

    public static let maxURLs = 1_000

    public init(
        store: JobStore, incoming: String, token: String?, account: String?, now: @escaping @Sendable () -> Date,
        start: @escaping @Sendable (String) -> Void
    ) {
        self.store = store
        self.incoming = incoming
        self.token = token
        self.account = account
        self.now = now
        self.start = start
    }

    public func handle(_ request: HTTPServer.Request) -> HTTPServer.Response {
        if let token, !Self.sameSecret(request.headers["authorization"] ?? "", "Bearer \(token)") {
            return HTTPServer.error(401, "this server needs 'Authorization: Bearer <token>'")
        }
        let path = request.path.hasSuffix("/") && request.path.count > 1 ? String(request.path.dropLast()) : request.path
        switch path {
        case "/v1/images/upload":
            guard request.method == "POST" else { return HTTPServer.error(405, "use POST") }
            return upload(request)
        case "/v1/images":
            guard request.method == "GET" else { return HTTPServer.error(405, "use GET") }
            return images()
        case _ where path.hasPrefix("/v1/images/uploaded/"):
            guard request.method == "GET" else { return HTTPServer.error(405, "use GET") }
            let id = String(path.dropFirst("/v1/images/uploaded/".count))
            guard UploadJob.isValidID(id), let (job, items) = try? store.snapshot(id) else {
                return HTTPServer.error(404, "no upload job \(id)")
            }
            return Self.json(200, JobStatus.json(job, items))
        default:
            return HTTPServer.error(404, "no such endpoint; see docs/http-api.md")
        }
    }

    private func upload(_ request: HTTPServer.Request) -> HTTPServer.Response {
        let type = request.headers["content-type"]?.lowercased() ?? ""
        var sources: [UploadItem.Source] = []
        var fields: [String: String] = [:]
        var folder: String?
        if type.hasPrefix("application/json") {
            guard let json = try? JSONValue.parse(request.body), case .object = json else {
                return HTTPServer.error(400, "the body is not a JSON object")
            }
            guard let urls = json["urls"]?.arrayValue, !urls.isEmpty, urls.count <= Self.maxURLs else {
                return HTTPServer.error(400, "give \"urls\": a list of 1 to \(Self.maxURLs) http(s) URLs")
            }
            for value in urls {
                guard let url = value.stringValue, Self.isWebURL(url) else {
                    return HTTPServer.error(400, "not an http(s) URL: \(value.stringValue ?? "(not a string)")")
                }
                sources.append(.url(url))
            }
            for key in ["title", "description", "album"] { fields[key] = json[key]?.stringValue }
        } else if let boundary = MultipartReaderBoundary.of(request.headers["content-type"]) {
            let target = "\(incoming)/\(UUID().uuidString)"
            do {
                try FileSystem.createDirectories(target, mode: 0o700)
                let parts = try MultipartReader.read(
                    request.bodyFile.map { .file($0) } ?? .data(request.body), boundary: boundary, into: target)
                fields = parts.fields
                sources = parts.files.map { .file(path: $0.path) }
                if let urls = parts.fields["urls"] {
                    sources += urls.split(whereSeparator: \.isNewline).map(String.init).filter(Self.isWebURL).map { .url($0) }
                }
            } catch {
                try? FileManager.default.removeItem(atPath: target)
                return HTTPServer.error(400, "a malformed multipart body (\(error))")
            }
            folder = target
            guard !sources.isEmpty else {
                try? FileManager.default.removeItem(atPath: target)
                return HTTPServer.error(400, "the form has no files (and no \"urls\")")
            }
        } else {
            return HTTPServer.error(415, "send application/json with \"urls\", or multipart/form-data with files")
        }
        do {
            let file = try store.create(
                items: sources, now: now(),
                configure: { job in
                    job.origin = .serve
                    job.account = account
                    job.title = fields["title"]
                    job.description = fields["description"]
                    if let album = fields["album"], !album.isEmpty {
                        job.album = .new(title: album, id: nil, deletehash: nil, uncertain: false)
                    }
                },
                describe: { _ in nil })
            let id = file.current.job.id
            file.close()
            start(id)
            return Self.json(202, .object(["job_id": .string(id)]))
        } catch {
            if let folder { try? FileManager.default.removeItem(atPath: folder) }
            return HTTPServer.error(500, "the job could not be stored: \(error)")
        }
    }

    private func images() -> HTTPServer.Response {
        var links: [JSONValue] = []
        for case .success(let (_, items)) in store.all() {
            for item in items where item.state == .completed { if let link = item.link { links.append(.string(link)) } }
        }
        return Self.json(200, .object(["images": .array(links)]))
    }

    static func json(_ status: Int, _ value: JSONValue) -> HTTPServer.Response {
        HTTPServer.Response(status: status, body: value.serialized(.compact) + Data("\n".utf8))
    }

    static func isWebURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else { return false }
        return scheme == "http" || scheme == "https"
    }

    /// Compares without an early exit, so that timing tells nothing of the token.
    static func sameSecret(_ given: String, _ expected: String) -> Bool {
        let a = Array(given.utf8)
        let b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

enum MultipartReaderBoundary {
    static func of(_ contentType: String?) -> String? { MultipartReader.boundary(of: contentType) }
}
