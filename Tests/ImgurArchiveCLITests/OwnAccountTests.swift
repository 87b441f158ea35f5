import Foundation
import TestSupport
import Testing

@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurArchiveCLI

/// `user me` with a login: hidden and secret albums too, and every image in no album.
@Suite struct OwnAccountTests {
    static func account(_ harness: Harness) throws -> (hidden: FakeAlbum, secret: FakeAlbum, loose: FakeMedia) {
        try UploadTests.logIn(harness)
        let hidden = FakeAlbum(id: "Hidden1", title: "Hidden", media: EndToEndTests.sampleMedia("H"))
        let secret = FakeAlbum(id: "Secret1", title: "Secret", media: [FakeMedia(id: "SSSSSSS")])
        let loose = FakeMedia(id: "Loose01", ext: "png", size: 6_000)
        harness.imgur.seedAlbum(hidden, owner: "someone", privacy: "hidden")
        harness.imgur.seedAlbum(secret, owner: "someone", privacy: "secret")
        harness.imgur.seedImage(loose, owner: "someone")
        return (hidden, secret, loose)
    }

    @Test func userMeArchivesEveryAlbumAndTheImagesInNone() async throws {
        let harness = try Harness()
        let (hidden, secret, loose) = try Self.account(harness)
        let result = await harness.run(["user", "me"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(result.out.hasPrefix("account          me  2 albums and 5 images\n"))
        #expect(result.out.contains("archived         Hidden1  3 files"))
        #expect(result.out.contains("archived         Secret1  1 file"))
        #expect(result.out.contains("archived         Loose01  1 file"))
        #expect(!result.out.contains("AAAAAAA"), "an image in an album is not archived again on its own")
        for item in hidden.media { #expect(harness.data("Hidden1/\(item.fileName)") == item.data) }
        #expect(harness.data("Secret1/\(secret.media[0].fileName)") == secret.media[0].data)
        #expect(harness.data("Loose01/Loose01.png") == loose.data)
        #expect(harness.json("scraping_logs.json")?["Loose01"]?["kind"] == "image")
        // The login goes to the API only: media requests carry no Authorization.
        #expect(harness.imgur.requests("/media/").allSatisfy { $0.header("Authorization") == nil })
        #expect(harness.imgur.requests("/3/account/me").allSatisfy { $0.header("Authorization")?.hasPrefix("Bearer ") == true })

        harness.imgur.server.resetLog()
        let again = await harness.run(["user", "me"])
        #expect(again.status == .success)
        #expect(harness.imgur.requests("/media/").isEmpty, "a rerun downloads nothing")
    }

    @Test func userMeListJSONShowsWhatTheAccountHoldsAndDownloadsNothing() async throws {
        let harness = try Harness()
        _ = try Self.account(harness)
        let result = await harness.run(["user", "me", "--list", "--json"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        let lines = try result.out.split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
        #expect(lines.compactMap { $0["id"]?.stringValue }.sorted() == ["Hidden1", "Loose01", "Secret1"])
        #expect(lines.first { $0["id"] == "Secret1" }?["privacy"] == "secret")
        #expect(lines.first { $0["id"] == "Loose01" }?["kind"] == "image")
        #expect(harness.imgur.requests("/media/").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: harness.path("scraping_logs.json")))
    }

    @Test func userMeWithoutALoginSaysWhatToDo() async throws {
        let harness = try Harness()
        let result = await harness.run(["user", "me"])
        #expect(result.status == .configuration)
        #expect(result.err.contains("'user me' is the logged-in account, and there is no login"))
    }

    /// `--verbose` shows every request, but no deletehash and no token.
    @Test func verboseOutputCarriesNoSecret() async throws {
        let harness = try Harness()
        try UploadTests.logIn(harness)
        _ = try UploadTests.files(harness, ["1.jpg"])
        let upload = await harness.run(["-v", "upload", "pics", "--anonymous", "--new-album", "A"])
        #expect(upload.status == .success, "\(upload.out)\(upload.err)")
        let id = UploadTests.jobID(upload)
        let delete = await harness.run(["-v", "delete", id, "--yes"])
        #expect(delete.status == .success, "\(delete.out)\(delete.err)")
        #expect(delete.err.contains("DELETE \(harness.imgur.apiBase)/3/image/<deletehash> -> 200"))
        let output = upload.out + upload.err + delete.out + delete.err
        for upload in harness.imgur.uploads { #expect(!output.contains(upload.deletehash)) }
        for album in harness.imgur.albumRecords { #expect(!output.contains(album.deletehash)) }
        #expect(!output.contains(UploadTests.user.refreshToken) && !output.contains(UploadTests.user.clientSecret))
    }
}
