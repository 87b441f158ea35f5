import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import Testing
import TestSupport

/// The fake's write side, driven with plain URLSession in the real API's wire forms. Serialized,
/// nested suites included, so that the 200 MB upload's memory is measured with no other test of
/// these running beside it.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct FakeImgurWriteTests {
    let directory: String
    let fake: FakeImgur
    let session = makeSession(timeout: 60)

    init() throws {
        directory = try makeTemporaryDirectory("fake-write")
        fake = try FakeImgur(directory: directory)
    }

    // Not a deinit (structs have none): each test ends with this.
    func finish() {
        session.finishTasksAndInvalidate()
        fake.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func registerBob(_ refresh: String = "refresh-bob") -> FakeUser {
        let bob = FakeUser(username: "bob", accountID: 7, refreshToken: refresh, clientSecret: "secret-bob")
        fake.register(bob)
        return bob
    }

    func bearer(_ username: String = "bob") throws -> String {
        "Bearer \(try #require(fake.issueAccessToken(for: username)))"
    }

    /// Uploads `data` as an `image` file part; returns the answer's `data`.
    func uploadImage(
        _ data: Data, name: String? = nil, type: String = "image/png", fileName: String = "a.png", auth: String = anonymous,
        extra: [FormPart] = []
    ) async throws -> [String: Any] {
        var parts: [FormPart] = [.field("type", "file")]
        if let name { parts.append(.field("name", name)) }
        parts += extra + [.file("image", fileName: fileName, type: type, data)]
        let (body, response) = try await postMultipart(session, fake, parts, auth: auth)
        #expect(response.statusCode == 200, "\(String(decoding: body, as: UTF8.self))")
        return dataObject(body)
    }

    // MARK: Uploads

    @Test func multipartUploadIsStoredAnsweredAndReadBack() async throws {
        defer { finish() }
        let png = FakeMedia.bytes(ext: "png", size: 5_000, seed: "one")
        let parts: [FormPart] = [
            .field("type", "file"), .field("name", "0123abcd-cat.png"), .field("title", "A cat"),
            .field("description", "two\nlines"), .file("image", fileName: "cat.png", type: "image/png", png),
        ]
        let (body, response) = try await postMultipart(session, fake, parts, auth: "Client-ID \(FakeImgur.publicClientID)")
        #expect(response.statusCode == 200)
        let envelope = object(body)
        #expect(envelope["success"] as? Bool == true && envelope["status"] as? Int == 200)
        let data = dataObject(body)
        let id = try #require(data["id"] as? String)
        #expect(matches(id, "[A-Za-z0-9]{7}"))
        #expect(matches(data["deletehash"] as? String, "[a-z0-9]{15}"))
        #expect(data["link"] as? String == "\(fake.apiBase)/media/\(id).png")
        #expect(data["type"] as? String == "image/png")
        #expect(data["size"] as? Int == 5_000)
        #expect(data["name"] as? String == "0123abcd-cat.png")
        #expect(data["title"] as? String == "A cat" && data["description"] as? String == "two\nlines")
        #expect(data["account_id"] as? Int == 0)
        #expect(data["datetime"] is Int && data["processing"] == nil)

        // Every upload answer carries the POST and the user/client allowances; an upload costs 10.
        #expect(response.value(forHTTPHeaderField: "X-Post-Rate-Limit-Limit") == "1250")
        #expect(response.value(forHTTPHeaderField: "X-Post-Rate-Limit-Remaining") == "1249")
        #expect(Int(response.value(forHTTPHeaderField: "X-Post-Rate-Limit-Reset") ?? "").map { (3500...3600).contains($0) } == true)
        #expect(response.value(forHTTPHeaderField: "X-RateLimit-UserRemaining") == "480")
        #expect(response.value(forHTTPHeaderField: "X-RateLimit-ClientRemaining") == "12390")
        #expect(response.value(forHTTPHeaderField: "X-RateLimit-UserLimit") == "500")

        let stored = try #require(fake.uploads.first)
        #expect(fake.uploads.count == 1)
        #expect(stored.id == id && stored.deletehash == data["deletehash"] as? String)
        #expect(stored.sha256 == (try sha256sum(png, in: directory)))
        #expect(stored.size == 5_000 && stored.account == nil && stored.type == "image/png" && !stored.isVideo)
        #expect(stored.name == "0123abcd-cat.png" && stored.fileName == "cat.png" && stored.endpoint == "/3/image")
        #expect(stored.requestNumber == 1 && !stored.deleted)
        #expect(fake.uploadCount(name: "0123abcd-cat.png") == 1)
        #expect(fake.uploadCount(sha256: stored.sha256) == 1)

        let (read, readResponse) = try await get(session, fake, "/3/image/\(id)")
        #expect(readResponse.statusCode == 200)
        #expect(dataObject(read)["title"] as? String == "A cat" && dataObject(read)["name"] as? String == "0123abcd-cat.png")
        #expect(dataObject(read)["deletehash"] == nil, "only the owner sees the deletehash")
        let (media, mediaResponse) = try await fetch(session, testURL("\(fake.apiBase)/media/\(id).png"))
        #expect(mediaResponse.statusCode == 200 && media == png)
        #expect(mediaResponse.value(forHTTPHeaderField: "Content-Type") == "image/png")
    }

    @Test func urlUploadsAsAFormAndAsMultipartText() async throws {
        defer { finish() }
        let url = "https://example.com/pictures/dog.gif"
        let (body, response) = try await postForm(session, fake, "/3/image", [("image", url), ("type", "url"), ("name", "dog")])
        #expect(response.statusCode == 200)
        let data = dataObject(body)
        #expect(data["type"] as? String == "image/gif")
        #expect((data["link"] as? String)?.hasSuffix(".gif") == true)
        let (second, secondResponse) = try await postMultipart(
            session, fake, [.field("image", url), .field("type", "url"), .field("name", "dog")], path: "/3/upload")
        #expect(secondResponse.statusCode == 200 && dataObject(second)["type"] as? String == "image/gif")

        let uploads = fake.uploads
        #expect(uploads.count == 2)
        #expect(uploads.allSatisfy { $0.sourceURL == url && $0.size == url.utf8.count })
        #expect(uploads.first?.sha256 == (try sha256sum(Data(url.utf8), in: directory)))
        #expect(uploads.map(\.endpoint) == ["/3/image", "/3/upload"])
        #expect(fake.uploadCount(name: "dog") == 2)
        #expect(fake.uploadCount(sha256: uploads[0].sha256) == 2)
        // Nothing is fetched; the CDN serves stand-in bytes of the URL's type.
        let (media, _) = try await fetch(session, testURL(try #require(data["link"] as? String)))
        #expect(media.starts(with: Array("GIF89a".utf8)))
    }

    @Test func videoStaysPendingForTheConfiguredPolls() async throws {
        defer { finish() }
        fake.configureWrites { $0.videoPendingPolls = 2 }
        let mp4 = FakeMedia.bytes(ext: "mp4", size: 40_000, seed: "clip")
        let (body, response) = try await postMultipart(
            session, fake, [.field("disable_audio", "1"), .file("video", fileName: "clip.mov", type: "video/quicktime", mp4)],
            path: "/3/upload")
        #expect(response.statusCode == 200)
        let data = dataObject(body)
        let id = try #require(data["id"] as? String)
        #expect((data["processing"] as? [String: Any])?["status"] as? String == "pending")
        #expect(data["type"] as? String == "video/mp4" && data["link"] as? String == "\(fake.apiBase)/media/\(id).mp4")
        var states: [String] = []
        for _ in 0..<3 {
            let (read, _) = try await get(session, fake, "/3/image/\(id)")
            states.append(((dataObject(read)["processing"] as? [String: Any])?["status"] as? String) ?? "none")
        }
        #expect(states == ["pending", "pending", "completed"])
        let stored = try #require(fake.uploads.first)
        #expect(stored.isVideo && stored.disableAudio && stored.type == "video/mp4" && stored.size == 40_000)
        let (media, _) = try await fetch(session, testURL("\(fake.apiBase)/media/\(id).mp4"))
        #expect(media == mp4)
    }

    @Test func overSizeUploadsAreRefusedAfterTheWholeBodyAndNotStored() async throws {
        defer { finish() }
        fake.configureWrites { $0.stillSizeLimit = 1_000 }
        let big = FakeMedia.bytes(ext: "jpg", size: 2_000, seed: "big")
        let (body, response) = try await postMultipart(session, fake, [.file("image", fileName: "b.jpg", type: "image/jpeg", big)])
        #expect(response.statusCode == 400)
        #expect(String(decoding: body, as: UTF8.self)
            == #"{"data":{"error":"File is over the size limit","request":"\/3\/image","method":"POST"},"success":false,"status":400}"#)
        #expect(fake.uploads.isEmpty)
        #expect(fake.requests("/3/image").first.map { $0.bodyLength > 2_000 } == true, "the whole body was read")

        // Past the fake's 8 MiB spooling threshold the refusal comes the same way, and no copy is left.
        fake.configureWrites { $0.stillSizeLimit = 9_000_000 }
        let spooled = FakeMedia.bytes(ext: "jpg", size: 9_500_000, seed: "spooled")
        let (_, second) = try await postMultipart(session, fake, [.file("image", fileName: "s.jpg", type: "image/jpeg", spooled)])
        #expect(second.statusCode == 400)
        #expect(fake.requests("/3/image").last?.bodyFile != nil)
        #expect(fake.uploads.isEmpty)
        #expect(filesBelow(directory).isEmpty, "left behind: \(filesBelow(directory))")
    }

    @Test func bodiesWithoutMediaOrOfAnotherTypeAreRefused() async throws {
        defer { finish() }
        let (none, noneResponse) = try await postForm(session, fake, "/3/image", [("title", "nothing")])
        #expect(noneResponse.statusCode == 400)
        #expect(dataObject(none)["error"] as? String == "No image data was sent to the upload api")
        let (text, textResponse) = try await postMultipart(
            session, fake, [.file("image", fileName: "notes.txt", type: "application/octet-stream", Data("hello".utf8))])
        #expect(textResponse.statusCode == 400 && dataObject(text)["error"] as? String == "File type invalid (1)")
        let (_, bad) = try await postMultipart(
            session, fake, [.file("image", fileName: "a.png", type: "image/png", Data([1]))], auth: "Client-ID nope")
        #expect(bad.statusCode == 403)
        #expect(fake.uploads.isEmpty && fake.uploadRequestCount == 2)
    }

    // MARK: Limits and refusals

    @Test func uploadsPastTheUserAllowanceGet429() async throws {
        defer { finish() }
        fake.setRateLimit(client: 12_400, user: 25)
        let png = FakeMedia.bytes(ext: "png", size: 100, seed: "p")
        _ = try await uploadImage(png)
        _ = try await uploadImage(png)
        let (body, response) = try await postMultipart(session, fake, [.file("image", fileName: "a.png", type: "image/png", png)])
        #expect(response.statusCode == 429)
        #expect(String(decoding: body, as: UTF8.self) == #"{"data":{"error":{"code":429,"message":"You are uploading too fast. Please wait 59 more minutes.","type":"ImgurException"},"request":"\/3\/image","method":"POST"},"success":false,"status":429}"#)
        #expect(response.value(forHTTPHeaderField: "X-RateLimit-UserRemaining") == "5")
        #expect(response.value(forHTTPHeaderField: "X-Post-Rate-Limit-Remaining") == "1248")
        #expect(fake.uploads.count == 2)

        // A GET still costs one credit.
        let (_, read) = try await get(session, fake, "/3/image/\(fake.uploads[0].id)")
        #expect(read.value(forHTTPHeaderField: "X-RateLimit-UserRemaining") == "4")

        // Out of POSTs: 429 too.
        fake.setRateLimit(client: 12_400, user: 490)
        fake.setPostRateLimit(limit: 1250, remaining: 1, resetSeconds: 600)
        let (_, last) = try await postMultipart(session, fake, [.file("image", fileName: "a.png", type: "image/png", png)])
        #expect(last.statusCode == 200 && last.value(forHTTPHeaderField: "X-Post-Rate-Limit-Remaining") == "0")
        #expect(Int(last.value(forHTTPHeaderField: "X-Post-Rate-Limit-Reset") ?? "").map { $0 <= 600 } == true)
        let (_, refused) = try await postMultipart(session, fake, [.file("image", fileName: "a.png", type: "image/png", png)])
        #expect(refused.statusCode == 429 && fake.uploads.count == 3)
    }

    @Test func theCDNRefusalSwitch() async throws {
        defer { finish() }
        fake.configureWrites { $0.refusesUploadsAtCDN = true }
        let (body, response) = try await postMultipart(
            session, fake, [.file("image", fileName: "a.png", type: "image/png", Data([0x89, 0x50]))], path: "/3/upload")
        #expect(response.statusCode == 400)
        #expect(String(decoding: body, as: UTF8.self) == #"{"data":{"error":"These actions are forbidden."},"success":false,"status":400}"#)
        #expect(response.value(forHTTPHeaderField: "CDN-Error") == "yes")
        #expect(response.value(forHTTPHeaderField: "Retry-After") == "0")
        #expect(fake.uploads.isEmpty)
    }

    // MARK: Albums

    @Test func albumsByDeletehashKeepTheGivenOrder() async throws {
        defer { finish() }
        var hashes: [String] = []
        var ids: [String] = []
        for index in 0..<3 {
            let data = try await uploadImage(FakeMedia.bytes(ext: "png", size: 200, seed: "\(index)"), name: "n\(index)")
            hashes.append(try #require(data["deletehash"] as? String))
            ids.append(try #require(data["id"] as? String))
        }
        let (created, createdResponse) = try await postJSON(
            session, fake, "/3/album", ["deletehashes": [hashes[2], hashes[0]], "title": "T", "description": "D"])
        #expect(createdResponse.statusCode == 200)
        let album = try #require(dataObject(created)["id"] as? String)
        let albumHash = try #require(dataObject(created)["deletehash"] as? String)
        #expect(matches(album, "[A-Za-z0-9]{7}") && matches(albumHash, "[a-z0-9]{15}"))
        #expect(dataObject(created).count == 2)

        func contents() async throws -> (ids: [String], title: String?) {
            let (body, _) = try await get(session, fake, "/3/album/\(album)")
            let images = dataObject(body)["images"] as? [[String: Any]] ?? []
            return (images.compactMap { $0["id"] as? String }, dataObject(body)["title"] as? String)
        }
        #expect(try await contents().ids == [ids[2], ids[0]])
        #expect(try await contents().title == "T")

        let (added, _) = try await postJSON(session, fake, "/3/album/\(albumHash)/add", ["deletehashes": [hashes[1]]])
        #expect(String(decoding: added, as: UTF8.self) == #"{"data":true,"success":true,"status":200}"#)
        #expect(try await contents().ids == [ids[2], ids[0], ids[1]])

        _ = try await postJSON(session, fake, "/3/album/\(albumHash)", ["deletehashes": [hashes[1], hashes[2]], "title": "New"],
            method: "PUT")
        #expect(try await contents().ids == [ids[1], ids[2]])
        #expect(try await contents().title == "New")
        _ = try await postJSON(session, fake, "/3/album/\(albumHash)", ["deletehashes": [hashes[0]]])
        #expect(try await contents().ids == [ids[0]])
        #expect(fake.albumRecord(album)?.imageIDs == [ids[0]] && fake.albumRecord(albumHash)?.title == "New")

        // An upload naming the album by deletehash joins it at the end.
        let joined = try await uploadImage(Data([0x89, 0x50, 0x4E, 0x47]), extra: [.field("album", albumHash)])
        #expect(try await contents().ids == [ids[0], try #require(joined["id"] as? String)])

        // The album by id needs its owner's token: an anonymous album has none.
        let (_, byID) = try await postJSON(session, fake, "/3/album/\(album)/add", ["deletehashes": [hashes[1]]])
        #expect(byID.statusCode == 403)

        let (deleted, deletedResponse) = try await fetch(session, request(fake, "DELETE", "/3/album/\(albumHash)"))
        #expect(deletedResponse.statusCode == 200)
        #expect(String(decoding: deleted, as: UTF8.self) == #"{"data":true,"success":true,"status":200}"#)
        let (_, gone) = try await get(session, fake, "/3/album/\(album)")
        #expect(gone.statusCode == 404)
        let (_, again) = try await fetch(session, request(fake, "DELETE", "/3/album/\(albumHash)"))
        #expect(again.statusCode == 404)
        #expect(fake.deletions == [FakeDeletion(kind: .album, id: album, via: albumHash, account: nil)])
        #expect(fake.albumRecord(album)?.deleted == true)
    }

    @Test func repeatedFormFieldsWorkAndACommaListMakesAnEmptyAlbum() async throws {
        defer { finish() }
        let first = try await uploadImage(Data([0x89, 0x50]), name: "a")
        let second = try await uploadImage(Data([0x89, 0x51]), name: "b")
        let hashes = [try #require(first["deletehash"] as? String), try #require(second["deletehash"] as? String)]
        let ids = [try #require(first["id"] as? String), try #require(second["id"] as? String)]

        let (form, _) = try await postForm(
            session, fake, "/3/album", [("deletehashes[]", hashes[1]), ("deletehashes[]", hashes[0]), ("privacy", "secret")])
        let (multipart, _) = try await postMultipart(
            session, fake, [.field("deletehashes[]", hashes[0]), .field("deletehashes[]", hashes[1])], path: "/3/album")
        let (comma, commaResponse) = try await postForm(session, fake, "/3/album", [("deletehashes", hashes.joined(separator: ","))])
        #expect(commaResponse.statusCode == 200)
        let made = [form, multipart, comma].map { dataObject($0)["id"] as? String ?? "" }
        #expect(made.map { fake.albumRecord($0)?.imageIDs } == [[ids[1], ids[0]], ids, []])
        #expect(fake.albumRecord(made[0])?.privacy == "secret" && fake.albumRecord(made[1])?.privacy == "hidden")
        #expect(fake.albumRecords.map(\.id) == made)
    }

    @Test func idsCountOnlyWithTheOwnersToken() async throws {
        defer { finish() }
        _ = registerBob()
        let token = try bearer()
        let own = try #require(try await uploadImage(Data([0x89, 0x50]), auth: token)["id"] as? String)
        let stranger = try #require(try await uploadImage(Data([0x89, 0x51]))["id"] as? String)
        #expect(fake.upload(own)?.account == "bob" && fake.upload(stranger)?.account == nil)

        let (owned, _) = try await postJSON(session, fake, "/3/album", ["ids": [stranger, own]], auth: token)
        let (anonymousAlbum, _) = try await postJSON(session, fake, "/3/album", ["ids": [own]])
        let ownedID = try #require(dataObject(owned)["id"] as? String)
        #expect(fake.albumRecord(ownedID)?.imageIDs == [own])
        #expect(fake.albumRecord(ownedID)?.account == "bob")
        #expect(fake.albumRecord(dataObject(anonymousAlbum)["id"] as? String ?? "")?.imageIDs == [])

        // By id with the owner's token: add, then replace.
        _ = try await postJSON(session, fake, "/3/album/\(ownedID)/add", ["ids": [own]], auth: token)
        #expect(fake.albumRecord(ownedID)?.imageIDs == [own])
        let (_, put) = try await postForm(session, fake, "/3/album/\(ownedID)", [("title", "Renamed")], method: "PUT", auth: token)
        #expect(put.statusCode == 200 && fake.albumRecord(ownedID)?.title == "Renamed")
        #expect(fake.albumRecord(ownedID)?.imageIDs == [own], "no ids given: the content stays")
    }

    @Test func imageTextsAndDeletion() async throws {
        defer { finish() }
        _ = registerBob()
        let data = try await uploadImage(FakeMedia.bytes(ext: "png", size: 300, seed: "x"))
        let id = try #require(data["id"] as? String)
        let hash = try #require(data["deletehash"] as? String)
        let (updated, _) = try await postForm(session, fake, "/3/image/\(hash)", [("title", "New title"), ("description", "New text")])
        #expect(dataObject(updated).isEmpty && object(updated)["data"] as? Bool == true)
        let (read, _) = try await get(session, fake, "/3/image/\(id)")
        #expect(dataObject(read)["title"] as? String == "New title" && dataObject(read)["description"] as? String == "New text")
        #expect(fake.upload(id)?.title == "New title")

        // By id, an anonymous image is nobody's to delete.
        let (_, byID) = try await fetch(session, request(fake, "DELETE", "/3/image/\(id)", auth: try bearer()))
        #expect(byID.statusCode == 403)
        let (_, unknown) = try await fetch(session, request(fake, "DELETE", "/3/image/zzzzzzzzzzzzzzz"))
        #expect(unknown.statusCode == 404)
        let (deleted, deletedResponse) = try await fetch(session, request(fake, "DELETE", "/3/image/\(hash)"))
        #expect(deletedResponse.statusCode == 200)
        #expect(String(decoding: deleted, as: UTF8.self) == #"{"data":true,"success":true,"status":200}"#)
        let (_, gone) = try await get(session, fake, "/3/image/\(id)")
        #expect(gone.statusCode == 404)
        let (media, _) = try await fetch(session, testURL("\(fake.apiBase)/media/\(id).png"))
        #expect(media == FakeMedia.removedPlaceholder)
        #expect(fake.upload(id)?.deleted == true && fake.uploads.count == 1)
        #expect(fake.deletions == [FakeDeletion(kind: .image, id: id, via: hash, account: nil)])

        // The owner deletes by id.
        let token = try bearer()
        let mine = try #require(try await uploadImage(Data([0x89, 0x50]), auth: token)["id"] as? String)
        let (_, ownDelete) = try await fetch(session, request(fake, "DELETE", "/3/image/\(mine)", auth: token))
        #expect(ownDelete.statusCode == 200 && fake.deletions.last?.account == "bob" && fake.deletions.last?.via == mine)
    }

    // MARK: OAuth

    @Test func refreshGivesATokenThatOwnsUploads() async throws {
        defer { finish() }
        _ = registerBob()
        let fields = [("refresh_token", "refresh-bob"), ("client_id", FakeImgur.clientID), ("client_secret", "secret-bob"),
                      ("grant_type", "refresh_token")]
        let (body, response) = try await postForm(session, fake, "/oauth2/token", fields, auth: nil)
        #expect(response.statusCode == 200)
        let answer = object(body)
        let token = try #require(answer["access_token"] as? String)
        #expect(answer["expires_in"] as? Int == 2_419_200 && answer["token_type"] as? String == "bearer")
        #expect(answer["scope"] is NSNull && answer["refresh_token"] as? String == "refresh-bob")
        #expect(answer["account_username"] as? String == "bob" && answer["account_id"] as? Int == 7)
        #expect(answer["data"] == nil && fake.tokenRefreshCount == 1)

        let uploaded = try await uploadImage(Data([0x89, 0x50]), name: "mine", auth: "Bearer \(token)")
        #expect(uploaded["account_id"] as? Int == 7 && uploaded["account_url"] as? String == "bob")
        #expect(fake.uploads.first?.account == "bob")

        let (_, unknown) = try await get(session, fake, "/3/account/me", auth: "Bearer not-a-token")
        #expect(unknown.statusCode == 403)
        fake.expireAccessTokens()
        let (expired, expiredResponse) = try await postMultipart(
            session, fake, [.file("image", fileName: "a.png", type: "image/png", Data([1]))], auth: "Bearer \(token)")
        #expect(expiredResponse.statusCode == 403)
        #expect(dataObject(expired)["error"] as? String == "The access token provided is invalid.")
        #expect(fake.uploads.count == 1)

        var wrong = fields
        wrong[2] = ("client_secret", "guess")
        let (refused, refusedResponse) = try await postForm(session, fake, "/oauth2/token", wrong, auth: nil)
        #expect(refusedResponse.statusCode == 400)
        #expect(String(decoding: refused, as: UTF8.self)
            == #"{"data":{"error":"Invalid refresh token","request":"\/oauth2\/token","method":"POST"},"success":false,"status":400}"#)
        #expect(fake.tokenRefreshCount == 1)
    }

    @Test func rotatingRefreshTokensAndShortLivedAccessTokens() async throws {
        defer { finish() }
        _ = registerBob()
        fake.configureWrites {
            $0.rotatesRefreshTokens = true
            $0.accessTokenLifetime = 3600
        }
        func refresh(_ token: String) async throws -> (Int, [String: Any]) {
            let (body, response) = try await postForm(session, fake, "/oauth2/token", [
                ("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", FakeImgur.clientID),
                ("client_secret", "secret-bob"),
            ], auth: nil)
            return (response.statusCode, object(body))
        }
        let (status, answer) = try await refresh("refresh-bob")
        let rotated = try #require(answer["refresh_token"] as? String)
        #expect(status == 200 && rotated != "refresh-bob" && answer["expires_in"] as? Int == 3600)
        #expect(fake.user("bob")?.refreshToken == rotated)
        #expect(try await refresh("refresh-bob").0 == 400)
        #expect(try await refresh(rotated).0 == 200)
        #expect(fake.tokenRefreshCount == 2)
    }

    @Test func theAuthorizePageIsThe2025Error1024() async throws {
        defer { finish() }
        let (body, response) = try await fetch(
            session, testURL("\(fake.apiBase)/oauth2/authorize?client_id=\(FakeImgur.clientID)&response_type=token&state=s"))
        #expect(response.statusCode == 200)
        #expect(response.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("text/html") == true)
        #expect(String(decoding: body, as: UTF8.self).contains("Sorry! There was an error (code: 1024) retrieving the page you requested"))
    }

    // MARK: Accounts

    @Test func theOwnersListingsShowEverythingNewestFirst() async throws {
        defer { finish() }
        _ = registerBob()
        fake.configureWrites { $0.accountPageSize = 2 }
        fake.seedAlbum(FakeAlbum(id: "hidAAAA", datetime: 1_600_000_100, media: [FakeMedia(id: "inHidd1", size: 100)]), owner: "bob")
        fake.seedAlbum(FakeAlbum(id: "secAAAA", datetime: 1_600_000_200, media: []), owner: "bob", privacy: "secret")
        fake.seedAlbum(FakeAlbum(id: "pubAAAA", datetime: 1_600_000_300, media: []), owner: "bob", privacy: "public")
        fake.seedImage(FakeMedia(id: "looseA1", size: 100), owner: "bob", name: "loose-one", datetime: 1_600_000_050)
        let token = try bearer()
        let uploaded = try #require(try await uploadImage(Data([0x89, 0x50]), name: "fresh", auth: token)["id"] as? String)

        let (me, _) = try await get(session, fake, "/3/account/me", auth: token)
        #expect(dataObject(me)["url"] as? String == "bob" && dataObject(me)["id"] as? Int == 7)

        var albums: [[String: Any]] = []
        for page in 0..<3 {
            let (body, _) = try await get(session, fake, "/3/account/me/albums/\(page)", auth: token)
            #expect(dataList(body).count == [2, 1, 0][page])
            albums += dataList(body)
        }
        #expect(albums.compactMap { $0["id"] as? String } == ["pubAAAA", "secAAAA", "hidAAAA"])
        #expect(albums.compactMap { $0["privacy"] as? String } == ["public", "secret", "hidden"])
        #expect(albums.allSatisfy { matches($0["deletehash"] as? String, "[a-z0-9]{15}") && $0["images"] == nil })
        let (count, _) = try await get(session, fake, "/3/account/me/albums/count", auth: token)
        #expect(object(count)["data"] as? Int == 3)

        var images: [[String: Any]] = []
        for page in 0..<3 {
            let (body, _) = try await get(session, fake, "/3/account/bob/images/\(page)", auth: token)
            images += dataList(body)
        }
        #expect(images.compactMap { $0["id"] as? String } == [uploaded, "inHidd1", "looseA1"])
        #expect(images.compactMap { $0["name"] as? String } == ["fresh", "", "loose-one"])
        let (imageCount, _) = try await get(session, fake, "/3/account/me/images/count", auth: token)
        #expect(object(imageCount)["data"] as? Int == 3)

        // The seeded album reads back whole; `me` needs a token.
        let (album, _) = try await get(session, fake, "/3/album/hidAAAA")
        #expect((dataObject(album)["images"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["inHidd1"])
        let (_, anonymousMe) = try await get(session, fake, "/3/account/me/albums/0")
        #expect(anonymousMe.statusCode == 401)
        #expect(fake.uploads.map(\.endpoint) == ["seed", "seed", "/3/image"] && fake.uploadCount(name: "loose-one") == 0)
    }

    // MARK: Ambiguous failures

    @Test func storedThenResetStoredThenStalled() async throws {
        defer { finish() }
        fake.injectAfterStoring(.reset, on: .upload(number: 1))
        fake.injectAfterStoring(.resetAfter(bytes: 10), on: .upload(number: 2))
        fake.injectAfterStoring(.stall, on: .uploadNamed("slow"))
        let png = FakeMedia.bytes(ext: "png", size: 500, seed: "r")
        let part = FormPart.file("image", fileName: "a.png", type: "image/png", png)
        // Fresh sessions: on a reused connection libcurl may resend a request that got nothing back.
        for number in 1...2 {
            let fresh = makeSession(timeout: 60)
            defer { fresh.finishTasksAndInvalidate() }
            let boundary = "b\(number)"
            let error = await urlError(fresh, request(
                fake, "POST", "/3/image", contentType: "multipart/form-data; boundary=\(boundary)",
                body: multipartBody([.field("name", "cut\(number)"), part], boundary: boundary)))
            #expect(error?.code == .networkConnectionLost, "upload \(number): \(String(describing: error))")
        }
        #expect(fake.uploads.map(\.name) == ["cut1", "cut2"])

        let impatient = makeSession(timeout: 1)
        defer { impatient.finishTasksAndInvalidate() }
        let error = await urlError(impatient, request(
            fake, "POST", "/3/image", contentType: "multipart/form-data; boundary=s",
            body: multipartBody([.field("name", "slow"), part], boundary: "s")))
        #expect(error?.code == .timedOut)
        #expect(fake.uploadCount(name: "slow") == 1 && fake.uploads.count == 3)
        #expect(await waitUntil { fake.server.openConnectionCount == 0 }, "the stalled connection ends with its client")

        // Used up: the next upload named "slow" is answered.
        let answered = try await uploadImage(png, name: "slow")
        #expect(answered["id"] as? String == fake.uploads.last?.id)
        #expect(fake.uploadCount(name: "slow") == 2 && fake.uploadCount(sha256: fake.uploads[0].sha256) == 4)
    }

    @Test func aResetWithNothingSentOnAReusedConnectionHangsTheResend() async throws {
        defer { finish() }
        // libcurl takes a reset before any answer byte on a reused connection for a stale one and
        // resends on a fresh connection, but FoundationNetworking cannot rewind the body
        // (docs/urlsession-linux.md §7): the resend never completes, the client times out, and the
        // upload exists exactly once.
        let impatient = makeSession(timeout: 3)
        defer { impatient.finishTasksAndInvalidate() }
        _ = try await fetch(impatient, request(fake, "GET", "/3/image/warmup"))
        fake.injectAfterStoring(.reset, on: .uploadNamed("twice"))
        let png = FakeMedia.bytes(ext: "png", size: 500, seed: "t")
        let error = await urlError(impatient, request(
            fake, "POST", "/3/image", contentType: "multipart/form-data; boundary=r",
            body: multipartBody([.field("name", "twice"), .file("image", fileName: "a.png", type: "image/png", png)], boundary: "r")))
        let posts = fake.requests("/3/image").filter { $0.method == "POST" }
        let observed = "\(String(describing: error?.code)); \(posts.count) POSTs read; stored \(fake.uploadCount(name: "twice"))"
        #expect(error?.code == .timedOut, "\(observed)")
        #expect(posts.count == 1 && fake.uploadCount(name: "twice") == 1, "\(observed)")
    }

    @Test func albumCreationStoredThenReset() async throws {
        defer { finish() }
        fake.injectAfterStoring(.reset, on: .albumCreation(number: 1))
        let error = await urlError(session, request(fake, "POST", "/3/album", contentType: "application/json",
            body: Data(#"{"deletehashes":[]}"#.utf8)))
        #expect(error != nil)
        #expect(fake.albumRecords.count == 1, "stored before the reset")
        // The existing `inject` answers before anything is stored.
        fake.inject("/3/album", FakeImgur.apiError(500, "Could not complete request", request: "/3/album", method: "POST"))
        let before = fake.albumRecords.count
        let (_, refused) = try await postJSON(session, fake, "/3/album", ["deletehashes": [String]()])
        #expect(refused.statusCode == 500 && fake.albumRecords.count == before)
    }
}
