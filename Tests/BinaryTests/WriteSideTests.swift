import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurArchiveCLI
@testable import Uploader

/// The write side through the built binary: kill -9 mid-job, a 200 MB upload, `serve`.
@Suite struct WriteSideTests {
    static let user = FakeUser(username: "someone", accountID: 7, refreshToken: "refresh-token-1", clientSecret: "app-secret-1")

    /// A harness with a login as `user` (token file in `<dir>/config`), and its environment.
    static func loggedIn() throws -> (ArchiveFixture, [String: String]) {
        let harness = try ArchiveFixture()
        harness.imgur.register(user)
        var login = StoredLogin(refreshToken: user.refreshToken, clientID: FakeImgur.clientID)
        login.account = user.username
        try LoginFile.write(login, to: harness.path("config/imgur-archive/token.json"))
        var environment = harness.baseEnvironment
        environment["IMGUR_CLIENT_SECRET"] = user.clientSecret
        environment["XDG_CONFIG_HOME"] = harness.path("config")
        return (harness, environment)
    }

    static func write(_ harness: ArchiveFixture, count: Int, folder: String = "pics", size: Int = 4_000) throws {
        try FileManager.default.createDirectory(atPath: harness.path(folder), withIntermediateDirectories: true)
        for index in 1...count {
            let media = FakeMedia(id: "Pic\(String(format: "%04d", index))", ext: "jpg", size: size + index)
            try media.data.write(to: URL(fileURLWithPath: harness.path("\(folder)/\(String(format: "%03d", index)).jpg")))
        }
    }

    static func job(_ harness: ArchiveFixture) throws -> (UploadJob, [UploadItem]) {
        let store = try JobStore(root: Directory.open(harness.directory), create: false)
        return try store.snapshot(try #require(store.ids().first))
    }

    /// kill -9 while an upload is in flight (Imgur has stored it but not answered), then `--resume`:
    /// with a login, the lost one is found by name; every item is on Imgur exactly once.
    @Test func aJobKilledMidUploadIsFinishedByResumeWithEachItemOnce() async throws {
        let (harness, environment) = try Self.loggedIn()
        try Self.write(harness, count: 12)
        harness.imgur.injectAfterStoring(.stall, on: .upload(number: 4))
        let running = try BinaryRunner.start(["upload", "pics", "-j", "2"], environment: environment, directory: harness.directory)
        let pid = running.pid
        let imgur = harness.imgur
        // Strike once the stalled one is stored and more have gone past it.
        #expect(await whenTrue({ imgur.uploads.count >= 6 }) { kill(pid, SIGKILL) })
        let killed = await running.finish()
        #expect(killed.status == SIGKILL)
        let id = try Self.job(harness).0.id

        var resumed = try await BinaryRunner.run(["upload", "--resume", id], environment: environment, directory: harness.directory)
        if resumed.status == 75 {  // what a budget or a lost answer left: once more, as a user would
            resumed = try await BinaryRunner.run(["upload", "--resume", id], environment: environment, directory: harness.directory)
        }
        #expect(resumed.status == 0, "\(resumed.out)\(resumed.err)")
        let (job, items) = try Self.job(harness)
        #expect(job.status == .completed)
        #expect(items.count == 12)
        for item in items {
            #expect(item.state == .completed)
            #expect(harness.imgur.uploadCount(name: item.name) == 1, "\(item.name) on Imgur once")
        }
        #expect(harness.imgur.uploads.filter { !$0.deleted }.count == 12)
    }

    /// A 200 MB video goes out streamed from disk: the process's peak memory stays far below the
    /// file's size (measured from /proc while it runs).
    @Test func a200MBUploadKeepsMemoryFlat() async throws {
        let harness = try ArchiveFixture()
        let path = harness.path("big.mp4")
        let header = FakeMedia(id: "BigVid1", ext: "mp4", size: 64).data
        FileManager.default.createFile(atPath: path, contents: header)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        let piece = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        for _ in 0..<190 { try handle.write(contentsOf: piece) }  // 199.2 MB: under the 200 MB video limit
        try handle.close()
        harness.imgur.configureWrites { $0.videoPendingPolls = 0 }
        let running = try BinaryRunner.start(["upload", "big.mp4"], environment: harness.baseEnvironment, directory: harness.directory)
        let pid = running.pid
        let peak = Locked(0)
        _ = await whenTrue({
            if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                peak.withLock { $0 = max($0, kilobytes) }
            }
            return !running.isRunning
        })
        let result = await running.finish()
        #expect(result.status == 0, "\(result.out)\(result.err)")
        let upload = try #require(harness.imgur.uploads.first)
        #expect(upload.size == 64 + 190 << 20)
        #expect(upload.sha256 == (try SHA256.hexDigest(ofFileAt: path).hex))
        let megabytes = peak.current / 1024
        #expect(megabytes > 0 && megabytes < 120, "peak RSS \(megabytes) MB for a 200 MB upload")
        print("200 MB upload: peak RSS \(megabytes) MB")
    }

    // MARK: serve

    /// Starts `serve --port 0` and returns it with its base URL (read from its first line).
    static func serve(_ harness: ArchiveFixture, _ environment: [String: String], extra: [String] = []) async throws
        -> (BinaryRunner.Running, String)
    {
        let running = try BinaryRunner.start(["serve", "--port", "0"] + extra, environment: environment, directory: harness.directory)
        #expect(await whenTrue({ running.stdout.contains("/v1/images") || !running.isRunning }))
        let line = try #require(running.stdout.split(separator: "\n").first { $0.hasPrefix("serving ") })
        let url = String(line.split(separator: " ")[1]).replacingOccurrences(of: "/v1/images", with: "")
        return (running, url)
    }

    static func request(_ method: String, _ url: String, json: String? = nil, headers: [String: String] = [:]) async throws
        -> (Int, JSONValue?)
    {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: (data ?? Data(), response!)) }
            }.resume()
        }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONValue.parse(data))
    }

    @Test func serveTakesJobsFromConcurrentClientsAndRefusesBadRequests() async throws {
        let harness = try ArchiveFixture()
        let (server, base) = try await Self.serve(harness, harness.baseEnvironment)
        defer { kill(server.pid, SIGKILL) }
        // Four clients at once, each with its own job.
        let answers = try await withThrowingTaskGroup(of: (Int, JSONValue?).self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await Self.request("POST", "\(base)/v1/images/upload", json: #"{"urls": ["https://example.org/\#(index).png"]}"#)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.0 == 202 })
        let ids = answers.compactMap { $0.1?["job_id"]?.stringValue }
        #expect(Set(ids).count == 4)
        for id in ids {
            #expect(await whenTrue({
                let status = try? JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: harness.path("upload-jobs/\(id).json"))))
                return status?["job"]?["status"]?.stringValue == "completed"
            }))
            let (code, status) = try await Self.request("GET", "\(base)/v1/images/uploaded/\(id)")
            #expect(code == 200)
            #expect(status?["status"] == "completed")
            #expect(status?["uploaded"]?["completed"]?.arrayValue?.count == 1)
        }
        let (code, list) = try await Self.request("GET", "\(base)/v1/images")
        #expect(code == 200)
        #expect(list?["images"]?.arrayValue?.count == 4)
        // Bad requests: 4xx JSON, and the server goes on.
        #expect(try await Self.request("POST", "\(base)/v1/images/upload", json: "{not json").0 == 400)
        #expect(try await Self.request("POST", "\(base)/v1/images/upload", json: #"{"urls": ["file:///etc/passwd"]}"#).0 == 400)
        #expect(try await Self.request("GET", "\(base)/v1/images/uploaded/nope99").0 == 404)
        #expect(try await Self.request("DELETE", "\(base)/v1/images").0 == 405)
        #expect(try await Self.request("GET", "\(base)/v1/images").0 == 200)
        kill(server.pid, SIGTERM)
        #expect(await server.finish().status == 143)
    }

    @Test func serveOnAnotherAddressNeedsAToken() async throws {
        let harness = try ArchiveFixture()
        let refused = try await BinaryRunner.run(["serve", "--listen", "0.0.0.0"], environment: harness.baseEnvironment, directory: harness.directory)
        #expect(refused.status == 64)
        #expect(refused.err.contains("needs --token-file"))
        try harness.write("a-long-enough-secret-token\n", to: "token.txt")
        let (server, base) = try await Self.serve(harness, harness.baseEnvironment, extra: ["--token-file", "token.txt"])
        defer { kill(server.pid, SIGKILL) }
        #expect(try await Self.request("GET", "\(base)/v1/images").0 == 401)
        #expect(try await Self.request("GET", "\(base)/v1/images", headers: ["Authorization": "Bearer a-long-enough-secret-token"]).0 == 200)
    }

    /// SIGTERM mid-job; the next `serve` resumes the job, and each item is on Imgur once.
    @Test func aServeStoppedMidJobResumesItOnTheNextStart() async throws {
        let (harness, environment) = try Self.loggedIn()
        harness.imgur.injectAfterStoring(.stall, on: .upload(number: 2))
        let (first, base) = try await Self.serve(harness, environment)
        let urls = (0..<6).map { "\"https://example.org/\($0).png\"" }.joined(separator: ",")
        let (code, answer) = try await Self.request("POST", "\(base)/v1/images/upload", json: "{\"urls\": [\(urls)]}")
        #expect(code == 202)
        let id = try #require(answer?["job_id"]?.stringValue)
        let imgur = harness.imgur
        #expect(await whenTrue({ imgur.uploads.count >= 2 }))
        kill(first.pid, SIGTERM)
        let stopped = await first.finish()
        #expect(stopped.status == 143, "\(stopped.out)\(stopped.err)")

        let (second, _) = try await Self.serve(harness, environment)
        defer { kill(second.pid, SIGKILL) }
        #expect(await whenTrue({
            (try? JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: harness.path("upload-jobs/\(id).json")))))?["job"]?["status"]?
                .stringValue == "completed"
        }), "\(second.stderr)")
        let items = try JobStore(root: Directory.open(harness.directory), create: false).snapshot(id).1
        #expect(items.count == 6)
        for item in items { #expect(harness.imgur.uploadCount(name: item.name) == 1) }
    }
}
