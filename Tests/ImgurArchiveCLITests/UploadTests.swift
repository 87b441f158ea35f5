import Foundation
import TestSupport
import Testing

@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurArchiveCLI
@testable import Uploader

/// `upload`, `jobs`, `uploads`, `delete` against the fake Imgur's write side (docs/upload-jobs.md).
@Suite struct UploadTests {
    /// Files with real signatures, written into the harness's directory.
    static func files(_ harness: Harness, _ names: [String], in folder: String = "pics", size: Int = 3_000) throws -> [FakeMedia] {
        try FileManager.default.createDirectory(atPath: harness.path(folder), withIntermediateDirectories: true)
        return try names.enumerated().map { index, name in
            let ext = (name as NSString).pathExtension
            let media = FakeMedia(id: "Local\(String(format: "%02d", index))", ext: ext, size: size + index)
            try media.data.write(to: URL(fileURLWithPath: harness.path("\(folder)/\(name)")))
            return media
        }
    }

    static func job(_ harness: Harness) throws -> (UploadJob, [UploadItem]) {
        let store = try JobStore(root: Directory.open(harness.directory), create: false)
        let id = try #require(store.ids().first)
        return try store.snapshot(id)
    }

    /// The job id a run's first line names (`job  k7m2qa  …`).
    static func jobID(_ result: Harness.Result) -> String {
        String(result.out.split(separator: "\n").first?.split(separator: " ").dropFirst().first ?? "")
    }

    static let user = FakeUser(username: "someone", accountID: 7, refreshToken: "refresh-token-1", clientSecret: "app-secret-1")

    /// A login as `user`: the app's secret in the environment, a token file in XDG_CONFIG_HOME.
    static func logIn(_ harness: Harness, accessToken: String? = nil) throws {
        harness.imgur.register(user)
        harness.environment["IMGUR_CLIENT_SECRET"] = user.clientSecret
        harness.environment["XDG_CONFIG_HOME"] = harness.path("config")
        var login = StoredLogin(refreshToken: user.refreshToken, clientID: FakeImgur.clientID)
        login.account = user.username
        if let accessToken {
            login.accessToken = accessToken
            login.expiresAt = harness.now.addingTimeInterval(86_400)
        }
        try LoginFile.write(login, to: harness.path("config/imgur-archive/token.json"))
    }

    // MARK: The everyday case

    @Test func filesAFolderAndURLsGoIntoANewAnonymousAlbumInArgumentOrder() async throws {
        let harness = try Harness()
        let media = try Self.files(harness, ["10.jpg", "2.jpg", "1.png"])
        try "the second step".write(toFile: harness.path("pics/2.jpg.txt"), atomically: true, encoding: .utf8)
        let single = try Self.files(harness, ["clip.gif"], in: "more")
        let result = await harness.run([
            "upload", "pics", "more/clip.gif", "https://example.org/cat.png", "--new-album", "Holiday 2026", "--description", "from the trip",
        ])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        let (job, items) = try Self.job(harness)
        #expect(job.status == .completed)
        #expect(items.map(\.source.text) == [
            harness.path("pics/1.png"), harness.path("pics/2.jpg"), harness.path("pics/10.jpg"), harness.path("more/clip.gif"),
            "https://example.org/cat.png",
        ], "a folder's files in name order (2 before 10), then the rest as given")
        #expect(items.allSatisfy { $0.state == .completed && $0.deletehash != nil })
        // The album holds them in argument order, whatever order they finished in.
        guard case .new(_, let albumID?, _, false)? = job.album else {
            Issue.record("no album made: \(String(describing: job.album))")
            return
        }
        let album = try #require(harness.imgur.albumRecord(albumID))
        #expect(album.title == "Holiday 2026")
        #expect(album.account == nil)
        #expect(album.imageIDs == items.compactMap(\.imgurID))
        // Texts: the sidecar is the item's own description, the job's the others'.
        let stored = items.compactMap { $0.imgurID.flatMap(harness.imgur.upload) }
        #expect(stored.map(\.description) == ["from the trip", "the second step", "from the trip", "from the trip", "from the trip"])
        #expect(stored.allSatisfy { $0.account == nil }, "anonymous without a login")
        // The identity is the local file's SHA-256, as sent.
        for (item, file) in zip(items.prefix(4), [media[2], media[1], media[0], single[0]]) {
            #expect(item.sha256 == SHA256.hexDigest(of: file.data))
            #expect(harness.imgur.upload(item.imgurID ?? "")?.sha256 == item.sha256)
        }
        // Deletehashes are kept like treasure: 0600 in a 0700 folder, never printed.
        #expect(FileSystem.mode(harness.path("upload-jobs"))! & 0o777 == 0o700)
        #expect(FileSystem.mode(harness.path("upload-jobs/\(job.id).json"))! & 0o777 == 0o600)
        for item in items { #expect(!result.out.contains(item.deletehash!) && !result.err.contains(item.deletehash!)) }
        #expect(result.out.contains("uploaded         \(items[0].imgurID!)  \(items[0].link!)  \(harness.path("pics/1.png"))\n"))
        #expect(result.out.hasSuffix("done: 5 uploaded; album https://imgur.com/a/\(albumID); job \(job.id)\n"))
        // No spooled body is left.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: harness.path("upload-jobs/.spool")))?.isEmpty ?? true)

        // A completed job resumed sends nothing.
        let before = harness.imgur.uploadRequestCount
        let again = await harness.run(["upload", "--resume", job.id])
        #expect(again.status == .success)
        #expect(harness.imgur.uploadRequestCount == before)
    }

    @Test func aWrongTypeAndAnOversizeFileAreRefusedBeforeSendingAndTheRestGoOn() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["good.jpg"])
        try Data("not an image at all".utf8).write(to: URL(fileURLWithPath: harness.path("pics/notes.jpg")))
        let big = FakeMedia(id: "BigPng1", ext: "png", size: 10_000_001)
        try big.data.write(to: URL(fileURLWithPath: harness.path("pics/big.png")))
        let result = await harness.run(["upload", "pics"])
        #expect(result.status == .failure)
        #expect(result.out.contains("big.png is 10.0 MB; Imgur takes images up to 10.0 MB through its API"))
        #expect(result.out.contains("notes.jpg is not an image or video Imgur takes"))
        #expect(harness.imgur.uploadRequestCount == 1, "only the good one was sent")
        let (_, items) = try Self.job(harness)
        #expect(items.map(\.state) == [.failed, .completed, .failed], "big.png, good.jpg, notes.jpg")
    }

    // MARK: Answers that may have been lost

    @Test func aCutAfterImgurStoredItMakesItUncertainAndItIsNeverSentBlindly() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["one.jpg"])
        harness.imgur.injectAfterStoring(.reset, on: .upload(number: 1))
        let first = await harness.run(["upload", "pics/one.jpg"])
        #expect(first.status == .temporary, "\(first.out)\(first.err)")
        #expect(first.out.contains("uncertain"))
        #expect(first.out.contains("check, then 'upload --resume ID --retry-uncertain'"))
        let (job, items) = try Self.job(harness)
        #expect(items.first?.state == .uncertain)
        #expect(harness.imgur.uploadCount(name: items[0].name) == 1, "Imgur has it once")

        let resumed = await harness.run(["upload", "--resume", job.id])
        #expect(resumed.status == .temporary)
        #expect(harness.imgur.uploadCount(name: items[0].name) == 1, "not sent again without being asked to")
        let retried = await harness.run(["upload", "--resume", job.id, "--retry-uncertain"])
        #expect(retried.status == .success)
        #expect(try Self.job(harness).1.first?.state == .completed)
    }

    @Test func withALoginALostAnswerIsFoundByNameNotUploadedAgain() async throws {
        let harness = try Harness()
        try Self.logIn(harness)
        _ = try Self.files(harness, ["one.jpg", "two.jpg"])
        harness.imgur.injectAfterStoring(.reset, on: .upload(number: 1))
        let first = await harness.run(["upload", "pics", "--jobs", "1"])
        #expect(first.status == .temporary, "\(first.out)\(first.err)")
        let (job, lost) = try Self.job(harness)
        #expect(lost.map(\.state) == [.uncertain, .completed])
        let resumed = await harness.run(["upload", "--resume", job.id])
        #expect(resumed.status == .success, "\(resumed.out)\(resumed.err)")
        #expect(resumed.out.contains("(found in your account)"))
        let items = try Self.job(harness).1
        #expect(items.map(\.state) == [.completed, .completed])
        for item in items { #expect(harness.imgur.uploadCount(name: item.name) == 1) }
        #expect(harness.imgur.uploads.allSatisfy { $0.account == "someone" })
    }

    // MARK: Limits

    @Test func theReserveLeavesItemsPendingUntilTheLimitResets() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["1.jpg", "2.jpg", "3.jpg", "4.jpg", "5.jpg"])
        harness.imgur.setRateLimit(client: 12_000, user: 35)  // 3 uploads, then under the reserve
        let first = await harness.run(["upload", "pics", "--jobs", "1"])
        #expect(first.status == .temporary, "\(first.out)\(first.err)")
        #expect(first.out.contains("hourly budget down to"))
        #expect(first.out.contains("finish it with: imgur-archive upload --resume"))
        let (job, items) = try Self.job(harness)
        #expect(items.filter { $0.state == .completed }.count == 3)
        #expect(items.filter { $0.state == .pending }.count == 2)
        #expect(job.status == .interrupted)

        harness.imgur.setRateLimit(client: 12_000, user: 500)
        let resumed = await harness.run(["upload", "--resume", job.id])
        #expect(resumed.status == .success)
        for item in try Self.job(harness).1 { #expect(harness.imgur.uploadCount(name: item.name) == 1) }
    }

    @Test func aTooFastAnswerDefersTheJobWithItsWait() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["1.jpg"])
        harness.imgur.setRateLimit(client: 12_000, user: 5)
        let result = await harness.run(["upload", "pics"])
        #expect(result.status == .temporary)
        #expect(result.out.contains("You are uploading too fast. Please wait 59 more minutes."))
        #expect(try Self.job(harness).1.first?.state == .pending)
        #expect(harness.imgur.uploads.isEmpty)
    }

    @Test func aRefusalAtImgursEdgeIsOneErrorNotARetryLoop() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["1.jpg", "2.jpg", "3.jpg"])
        harness.imgur.configureWrites { $0.refusesUploadsAtCDN = true }
        let result = await harness.run(["upload", "pics", "--jobs", "1"])
        #expect(result.status == .failure)
        #expect(result.err.contains("Imgur refuses requests from this address or client"))
        #expect(harness.imgur.uploadRequestCount == 1, "the first refusal stops the job")
        #expect(try Self.job(harness).1.allSatisfy { $0.state == .pending })
    }

    // MARK: Videos, listing, deleting

    @Test func aVideoIsFollowedUntilImgurHasProcessedIt() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["clip.mp4"], size: 50_000)
        harness.imgur.configureWrites { $0.videoPendingPolls = 2 }
        let result = await harness.run(["upload", "pics/clip.mp4"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.err.contains("processing "))
        let item = try #require(try Self.job(harness).1.first)
        #expect(item.state == .completed)
        #expect(harness.imgur.upload(item.imgurID ?? "")?.endpoint == "/3/upload")
    }

    @Test func jobsAndUploadsListWhatWasDone() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["1.jpg", "2.jpg"])
        let upload = await harness.run(["upload", "pics"])
        let id = Self.jobID(upload)
        let jobs = await harness.run(["jobs"])
        #expect(jobs.out.hasPrefix("\(id)  completed  2/2 uploaded  created 2026-09-21T14:13:20Z\n"))
        let status = try JSONValue.parse(Data(await harness.run(["jobs", id, "--json"]).out.utf8))
        #expect(status["id"] == .string(id))
        #expect(status["status"] == "completed")
        #expect(status["uploaded"]?["completed"]?.arrayValue?.count == 2)
        #expect(status["uploaded"]?["pending"]?.arrayValue == [])
        #expect(status["items"]?.arrayValue?.first?["deletehash"] == nil, "jobs --json keeps deletehashes out")
        let lines = await harness.run(["uploads", "--json"]).out.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONValue.parse(Data(lines[0].utf8))
        #expect(first["deletehash"]?.stringValue?.count == 15, "uploads --json gives them: it is asked for them")
        #expect(first["job"] == .string(id))
    }

    @Test func deleteTakesTheJobsUploadsAndAlbumByTheirDeletehashes() async throws {
        let harness = try Harness()
        _ = try Self.files(harness, ["1.jpg", "2.jpg"])
        let upload = await harness.run(["upload", "pics", "--new-album", "Gone soon"])
        let id = Self.jobID(upload)
        let refused = await harness.run(["delete", id])
        #expect(refused.status == .usage, "without a terminal it asks for --yes")
        #expect(harness.imgur.deletions.isEmpty)
        let result = await harness.run(["delete", id, "--yes"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.imgur.deletions.count == 3)
        #expect(harness.imgur.uploads.allSatisfy { $0.deleted })
        #expect(try Self.job(harness).1.allSatisfy { $0.state == .deleted })
        #expect(!result.out.contains(harness.imgur.uploads[0].deletehash))
    }

    // MARK: Logins

    @Test func anExpiredAccessTokenIsRefreshedOnceAndTheNewOneStored() async throws {
        let harness = try Harness()
        try Self.logIn(harness, accessToken: harness.imgur.issueAccessToken(for: "someone"))
        harness.imgur.expireAccessTokens()
        _ = try Self.files(harness, ["1.jpg"])
        let result = await harness.run(["upload", "pics"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.imgur.tokenRefreshCount == 1)
        let path = harness.path("config/imgur-archive/token.json")
        #expect(FileSystem.mode(path)! & 0o777 == 0o600)
        let stored = try #require(try LoginFile.read(path))
        #expect(stored.accessToken != nil && stored.expiresAt != nil)
        #expect(harness.imgur.uploads.first?.account == "someone")
        for secret in [Self.user.refreshToken, Self.user.clientSecret, stored.accessToken!] {
            #expect(!result.out.contains(secret) && !result.err.contains(secret))
        }
    }

    @Test func aRejectedRefreshTokenIsAConfigurationErrorSayingWhatToDo() async throws {
        let harness = try Harness()
        try Self.logIn(harness)
        var revoked = Self.user
        revoked.refreshToken = "another-one"
        harness.imgur.register(revoked)
        _ = try Self.files(harness, ["1.jpg"])
        let result = await harness.run(["upload", "pics"])
        #expect(result.status == .configuration)
        #expect(result.err.contains("Imgur rejected the login's refresh token"))
        #expect(result.err.contains("imgur-archive login"))
        #expect(harness.imgur.uploads.isEmpty)
    }

    @Test func loginTakesARefreshTokenFromStdinAndStatusShowsNoSecret() async throws {
        let harness = try Harness()
        harness.imgur.register(Self.user)
        harness.environment["IMGUR_CLIENT_SECRET"] = Self.user.clientSecret
        harness.environment["XDG_CONFIG_HOME"] = harness.path("config")
        harness.input = [Self.user.refreshToken]
        let login = await harness.run(["login", "--refresh-token", "-"])
        #expect(login.status == .success, "\(login.out)\(login.err)")
        #expect(login.out.contains("logged in as someone"))
        let status = await harness.run(["login", "--status"])
        #expect(status.out.hasPrefix("logged in as someone (account id 7); the access token is valid until "))
        #expect(!status.out.contains(Self.user.refreshToken))
        let argv = await harness.run(["login", "--refresh-token", Self.user.refreshToken])
        #expect(argv.status == .usage, "never from the command line")
        #expect(!argv.err.contains(Self.user.refreshToken))
        #expect(await harness.run(["logout"]).status == .success)
        #expect(!FileManager.default.fileExists(atPath: harness.path("config/imgur-archive/token.json")))
    }

    @Test func theBrowserLoginSaysImgursPageIsClosed() async throws {
        let harness = try Harness()
        harness.imgur.register(Self.user)
        harness.environment["IMGUR_CLIENT_SECRET"] = Self.user.clientSecret
        harness.environment["XDG_CONFIG_HOME"] = harness.path("config")
        harness.input = ["https://imgur.com/#access_token=abc&expires_in=3600&token_type=bearer&refresh_token=\(Self.user.refreshToken)&account_username=someone&account_id=7"]
        let result = await harness.run(["login"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.err.contains("/oauth2/authorize?client_id=\(FakeImgur.clientID)&response_type=token"))
        #expect(result.err.contains("Error (1024)"))
        #expect(try LoginFile.read(harness.path("config/imgur-archive/token.json"))?.refreshToken == Self.user.refreshToken)
    }
}
