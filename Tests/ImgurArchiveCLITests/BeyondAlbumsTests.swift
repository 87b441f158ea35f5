import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI
@testable import ImgurArchiveCLI
@testable import Jobs

/// Single images, gallery posts, whole accounts, --metadata-only / --media-only, --comments.
@Suite struct BeyondAlbumsTests {
    @Test(arguments: [
        "https://i.imgur.com/ImgOne1.jpg", "https://imgur.com/ImgOne1", "i.imgur.com/ImgOne1h.jpg?1",
        "https://imgur.com/download/ImgOne1",
    ])
    func aSingleImageIsArchivedAsAOneMediaFolder(input: String) async throws {
        let harness = try Harness()
        let media = FakeMedia(id: "ImgOne1", ext: "jpg", size: 40_000, title: "A cat", description: "sleeping")
        harness.imgur.add(media: media)
        let result = await harness.run([input])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.data("ImgOne1/ImgOne1.jpg") == media.data)
        #expect(harness.json("ImgOne1/script_ImgOne1.json") == ["1": "ImgOne1"])
        #expect(harness.json("ImgOne1/descriptions_ImgOne1.json") == ["ImgOne1": "sleeping"])
        let metadata = try #require(harness.json("ImgOne1/metadata_ImgOne1.json"))
        #expect(metadata["kind"] == "image")
        #expect(metadata["title"] == "A cat")
        #expect(metadata["media_count"] == 1)
        #expect(metadata["source_url"] == "https://imgur.com/ImgOne1")
        #expect(metadata["api"]?["link"] == .string(harness.imgur.mediaURL("ImgOne1.jpg")))
        let entry = try #require(harness.json("scraping_logs.json")?["ImgOne1"])
        #expect(entry["kind"] == "image")
        #expect(entry["status"] == "complete")
        #expect(harness.imgur.requests("/3/").map(\.path) == ["/3/image/ImgOne1"])
    }

    @Test(arguments: [AnimatedFormat.gif, .mp4])
    func aGifvLinkIsTheAnimatedImage(format: AnimatedFormat) async throws {
        let harness = try Harness()
        let video = FakeMedia(id: "GifvAAA", ext: "mp4", size: 30_000)
        var gif = FakeMedia(id: "GifvAAA", ext: "gif", size: 60_000, animated: true)
        gif.mp4File = video.fileName
        harness.imgur.add(media: gif)
        harness.imgur.add(media: video, listed: false)
        let result = await harness.run(["--animated", format.rawValue, "https://i.imgur.com/GifvAAA.gifv"])
        #expect(result.status == .success, "\(result.out)")
        #expect(harness.data("GifvAAA/GifvAAA.\(format.rawValue)") == (format == .gif ? gif.data : video.data))
    }

    @Test func aGalleryPostThatIsAnAlbumIsAnAlbum() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "GalAlbm", title: "Gallery album", media: EndToEndTests.sampleMedia("G")))
        harness.imgur.publishToGallery("GalAlbm")
        let result = await harness.run(["https://imgur.com/gallery/a-nice-title-GalAlbm"])
        #expect(result.status == .success, "\(result.out)")
        let metadata = try #require(harness.json("GalAlbm/metadata_GalAlbm.json"))
        #expect(metadata["kind"] == "album")
        #expect(metadata["media_count"] == 3)
        #expect(metadata["api"]?["ups"] == 12, "the gallery's own fields are kept")
        #expect(harness.imgur.requests("/3/").map(\.path) == ["/3/gallery/GalAlbm"], "one request")
        for item in EndToEndTests.sampleMedia("G") { #expect(harness.data("GalAlbm/\(item.fileName)") == item.data) }
    }

    @Test func aGalleryPostThatIsAnImageIsAnImage() async throws {
        let harness = try Harness()
        let media = FakeMedia(id: "GalImg1", ext: "png", size: 5_000, description: "posted")
        harness.imgur.add(media: media)
        harness.imgur.publishToGallery("GalImg1")
        let result = await harness.run(["https://imgur.com/t/funny/GalImg1"])
        #expect(result.status == .success, "\(result.out)")
        #expect(harness.json("GalImg1/metadata_GalImg1.json")?["kind"] == "image")
        #expect(harness.data("GalImg1/GalImg1.png") == media.data)
    }

    @Test func aGalleryLinkToAPostNoLongerInTheGalleryFallsBackToTheAlbum() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "WasPost", media: EndToEndTests.sampleMedia("W")))
        let result = await harness.run(["https://imgur.com/gallery/WasPost"])
        #expect(result.status == .success, "\(result.out)")
        #expect(harness.imgur.requests("/3/").map(\.path) == ["/3/gallery/WasPost", "/3/album/WasPost"])
        #expect(harness.json("WasPost/metadata_WasPost.json")?["kind"] == "album")
    }

    @Test func commentsAreKeptForGalleryPostsWhenAsked() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "GalAlbm", media: EndToEndTests.sampleMedia("G")))
        let comments: FakeJSON = .array([
            .object([("id", .number("1")), ("comment", .string("Nice <b>one</b>")), ("author", .string("someone"))]),
            .object([("id", .number("2")), ("comment", .string("Thanks")), ("author", .string("op"))]),
        ])
        harness.imgur.publishToGallery("GalAlbm", comments: comments)
        #expect(await harness.run(["--comments", "https://imgur.com/gallery/GalAlbm"]).status == .success)
        let saved = try #require(harness.json("GalAlbm/comments_GalAlbm.json"))
        #expect(saved.arrayValue?.count == 2)
        #expect(saved.arrayValue?.first?["comment"] == "Nice <b>one</b>")
        let metadata = try #require(harness.json("GalAlbm/metadata_GalAlbm.json"))
        #expect(metadata["comments_file"] == "comments_GalAlbm.json")
        #expect(metadata["comment_count"] == 2)
        #expect(harness.imgur.requests("/3/").map(\.path) == ["/3/gallery/GalAlbm", "/3/gallery/GalAlbm/comments"])
    }

    @Test func withoutCommentsNoCommentRequestIsMade() async throws {
        let harness = try Harness()
        harness.imgur.add(FakeAlbum(id: "GalAlbm", media: EndToEndTests.sampleMedia("G")))
        harness.imgur.publishToGallery("GalAlbm", comments: .array([]))
        #expect(await harness.run(["https://imgur.com/gallery/GalAlbm"]).status == .success)
        #expect(harness.data("GalAlbm/comments_GalAlbm.json") == nil)
        #expect(harness.imgur.requests("/3/gallery/GalAlbm/comments").isEmpty)
    }

    // MARK: Accounts

    /// An account with five submissions (three albums, two images) and two albums, three to a page.
    static func account(_ harness: Harness) {
        for (index, id) in ["Sub0001", "Sub0002", "Sub0003"].enumerated() {
            harness.imgur.add(FakeAlbum(id: id, media: [FakeMedia(id: "SubM\(index)AA", size: 3_000)]))
            harness.imgur.publishToGallery(id)
        }
        for id in ["SubImg1", "SubImg2"] {
            harness.imgur.add(media: FakeMedia(id: id, ext: "png", size: 2_000))
            harness.imgur.publishToGallery(id)
        }
        harness.imgur.add(FakeAlbum(id: "Private", media: [FakeMedia(id: "PrivMed", size: 2_500)]))
        harness.imgur.add(
            FakeAccount(
                name: "someone", submissions: ["Sub0001", "SubImg1", "Sub0002", "SubImg2", "Sub0003"],
                albums: ["Private", "Sub0001"]))
    }

    @Test func anAccountIsArchivedPageByPageAndARerunStopsAtTheFirstArchivedPage() async throws {
        let harness = try Harness()
        Self.account(harness)
        let first = await harness.run(["--jobs", "1", "user", "someone"])
        #expect(first.status == .success, "\(first.out)\(first.err)")
        #expect(first.out.contains("account          someone  6 to archive from 3 pages"))
        let catalog = try #require(harness.json("scraping_logs.json")?.objectValue)
        #expect(catalog.keys.sorted() == ["Private", "Sub0001", "Sub0002", "Sub0003", "SubImg1", "SubImg2"])
        #expect(harness.json("SubImg1/metadata_SubImg1.json")?["kind"] == "image")
        // Listed images need no further request; listed albums need their images.
        #expect(harness.imgur.requests("/3/image/").isEmpty)
        #expect(harness.imgur.requests("/3/album/").count == 4)
        // Every page was walked, until an empty one.
        #expect(harness.imgur.requests("/3/account/someone/submissions/").map(\.path).sorted()
            == ["/3/account/someone/submissions/0", "/3/account/someone/submissions/1",
                "/3/account/someone/submissions/2"])
        #expect(harness.imgur.requests("/3/account/someone/albums/").count == 2)

        // A new post appears at the top; the rerun walks until a page where all is archived.
        harness.imgur.add(FakeAlbum(id: "NewPost", media: [FakeMedia(id: "NewMedi", size: 1_000)]))
        harness.imgur.add(
            FakeAccount(
                name: "someone", submissions: ["NewPost", "Sub0001", "SubImg1", "Sub0002", "SubImg2", "Sub0003"],
                albums: ["Private", "Sub0001"]))
        harness.imgur.server.resetLog()
        let second = await harness.run(["user", "someone"])
        #expect(second.status == .success)
        #expect(second.out.contains("account          someone  1 to archive from 3 pages (stopped at a page already archived"))
        #expect(harness.imgur.requests("/3/account/someone/submissions/").map(\.path)
            == ["/3/account/someone/submissions/0", "/3/account/someone/submissions/1"])
        #expect(harness.imgur.requests("/3/account/someone/albums/").map(\.path) == ["/3/account/someone/albums/0"])
        #expect(harness.imgur.requests("/3/album/").map(\.path) == ["/3/album/NewPost"])
        #expect(harness.json("scraping_logs.json")?["NewPost"]?["status"] == "complete")

        // --all-pages walks everything again (and asks for no album already archived).
        harness.imgur.server.resetLog()
        let third = await harness.run(["user", "someone", "--all-pages"])
        #expect(third.status == .success)
        #expect(harness.imgur.requests("/3/account/someone/submissions/").count == 3)
        #expect(harness.imgur.requests("/3/account/someone/albums/").count == 2)
        #expect(harness.imgur.requests("/3/album/").isEmpty)
    }

    /// Albums archived one by one (or a walk cut short) leave the newest page archived and older
    /// ones not: until a walk has seen everything archived, no walk stops at an archived page.
    @Test func aWalkStopsEarlyOnlyOnceEverythingWasArchived() async throws {
        let harness = try Harness()
        Self.account(harness)
        #expect(await harness.run(["Sub0001", "https://imgur.com/SubImg1", "Sub0002"]).status == .success)
        let first = await harness.run(["user", "someone"])
        #expect(first.status == .success, "\(first.out)\(first.err)")
        #expect(first.out.contains("account          someone  3 to archive from 3 pages"), "\(first.out)")
        #expect(harness.json("scraping_logs.json")?.objectValue?.count == 6)
        #expect(harness.json("accounts.json")?["someone"]?["complete"] == true)

        // A new post whose album fails: the account is no longer complete, and stays so until
        // a run archives it.
        harness.imgur.add(FakeAlbum(id: "NewPost", media: [FakeMedia(id: "NewMedi", size: 1_000)]))
        harness.imgur.add(
            FakeAccount(
                name: "someone", submissions: ["NewPost", "Sub0001", "SubImg1", "Sub0002", "SubImg2", "Sub0003"],
                albums: ["Private", "Sub0001"]))
        harness.retryPolicy = RetryPolicy(maxAttempts: 1)
        harness.imgur.inject("/3/album/NewPost", .text("Bad gateway", status: 502))
        #expect(await harness.run(["user", "someone"]).status == .temporary)
        #expect(harness.json("accounts.json")?["someone"]?["complete"] == false)

        harness.retryPolicy = Harness.defaultRetryPolicy
        harness.imgur.server.resetLog()
        let third = await harness.run(["user", "someone"])
        #expect(third.status == .success, "\(third.out)\(third.err)")
        #expect(harness.imgur.requests("/3/account/someone/submissions/").count == 3, "every page, to the empty one")
        #expect(harness.json("scraping_logs.json")?["NewPost"]?["status"] == "complete")
        #expect(harness.json("accounts.json")?["someone"]?["complete"] == true)
    }

    @Test(arguments: [AccountOrder.newestFirst, .oldestFirst])
    func theOrderOfAnAccountIsChosen(order: AccountOrder) async throws {
        let harness = try Harness()
        Self.account(harness)
        #expect(await harness.run(["--jobs", "1", "--\(order.rawValue)", "user", "someone"]).status == .success)
        let text = String(decoding: try #require(harness.data("scraping_logs.json")), as: UTF8.self)
        let ids = text.split(separator: "\n").dropFirst().dropLast().compactMap { $0.split(separator: "\"").first.map(String.init) }
        let newest = ["Sub0001", "SubImg1", "Sub0002", "SubImg2", "Sub0003", "Private"]
        #expect(ids == (order == .newestFirst ? newest : newest.reversed()))
    }

    @Test func accountLinesInLinksTxtAreWalked() async throws {
        let harness = try Harness()
        Self.account(harness)
        try harness.write("# my favourite account\nhttps://imgur.com/user/someone/posts\n", to: "links.txt")
        let result = await harness.run([])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(harness.json("scraping_logs.json")?.objectValue?.count == 6)
    }

    @Test func anUnknownAccountFails() async throws {
        let harness = try Harness()
        let result = await harness.run(["user", "nobody"])
        #expect(result.status == .failure)
        #expect(result.out.contains("failed           nobody   account: account nobody not found on Imgur (HTTP 404)"))
    }

    @Test func theRateLimitBudgetAppliesAcrossTheWalk() async throws {
        let harness = try Harness()
        Self.account(harness)
        harness.reserve = RateLimitReserve(client: 100, user: 2)
        harness.imgur.setRateLimit(client: 102, user: 400)
        let result = await harness.run(["--jobs", "1", "user", "someone"])
        #expect(result.status == .temporary)
        #expect(result.err.contains("the walk of account someone stopped: application budget down to"))
        #expect(harness.imgur.requests("/3/").count <= 2)
    }

    // MARK: What to fetch

    @Test func metadataOnlyThenANormalRunCompletesTheAlbum() async throws {
        let harness = try Harness()
        let media = EndToEndTests.sampleMedia()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        let first = await harness.run(["--metadata-only", "q6i58"])
        #expect(first.status == .success, "\(first.out)")
        #expect(harness.imgur.requests("/media/").isEmpty)
        #expect(harness.json("q6i58/script_q6i58.json")?.objectValue?.count == 3)
        let metadata = try #require(harness.json("q6i58/metadata_q6i58.json"))
        #expect(metadata["status"] == "metadata-only")
        #expect(metadata["media"]?.arrayValue?.allSatisfy { $0["status"] == "not_downloaded" } == true)
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "metadata-only")

        // Another --metadata-only run has nothing to do; a normal run fetches the media.
        harness.imgur.server.resetLog()
        #expect(await harness.run(["--metadata-only", "q6i58"]).status == .success)
        #expect(harness.imgur.requestCount == 0)
        #expect(await harness.run(["q6i58"]).status == .success)
        for item in media { #expect(harness.data("q6i58/\(item.fileName)") == item.data) }
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "complete")
        #expect(harness.json("q6i58/metadata_q6i58.json")?["status"] == "complete")
    }

    @Test func mediaOnlyThenANormalRunWritesTheDocumentsWithoutDownloadingAgain() async throws {
        let harness = try Harness()
        let media = EndToEndTests.sampleMedia()
        harness.imgur.add(FakeAlbum(id: "q6i58", media: media))
        #expect(await harness.run(["--media-only", "q6i58"]).status == .success)
        for item in media { #expect(harness.data("q6i58/\(item.fileName)") == item.data) }
        #expect(harness.data("q6i58/metadata_q6i58.json") == nil)
        #expect(harness.data("q6i58/script_q6i58.json") == nil)
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "media-only")

        harness.imgur.server.resetLog()
        #expect(await harness.run(["q6i58"]).status == .success)
        #expect(harness.imgur.requests("/media/").isEmpty, "the files on disk are reused")
        let metadata = try #require(harness.json("q6i58/metadata_q6i58.json"))
        #expect(metadata["status"] == "complete")
        #expect(metadata["media"]?.arrayValue?.first?["sha256"] == .string(SHA256.hexDigest(of: media[0].data)))
    }

    @Test func metadataAndMediaOnlyCannotBeCombined() async throws {
        let harness = try Harness()
        let result = await harness.run(["--metadata-only", "--media-only", "q6i58"])
        #expect(result.status == .usage)
        #expect(result.err.hasPrefix("error: '--metadata-only' and '--media-only' cannot be combined"))
    }
}
