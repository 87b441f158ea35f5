import Foundation
import Testing
import TestSupport

@testable import DurableFiles
@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

/// `ImgurClient.album(_:spoolingIn:)`: an answer past 1 MiB is spooled to an unnamed file and
/// read value by value; its image list moves to disk past 1,000 items. The same values as the
/// whole parse, and the same errors (docs/design.md, "One large album").
@Suite(.timeLimit(.minutes(1)))
struct LargeAlbumAnswerTests {
    private func client(_ fake: FakeImgur) throws -> ImgurClient {
        let configuration = try APIConfiguration(baseURL: fake.apiBase, clientID: FakeImgur.clientID, idleTimeout: 5, deadline: 20)
        return ImgurClient(configuration: configuration, transport: URLSessionTransport(), retrier: Retrier(policy: .immediate))
    }

    private static func media(_ count: Int) -> [FakeMedia] {
        (0..<count).map { FakeMedia(id: String(format: "M%06d", $0), size: 16, title: $0 % 7 == 0 ? "title \($0)" : nil) }
    }

    private func items(_ list: ImageList) throws -> [JSONValue] {
        var items: [JSONValue] = []
        try list.forEach { items.append($0) }
        return items
    }

    @Test(arguments: [FakeImgur.WireStyle.escapedSlashesDataFirst, .plainStatusFirst])
    func aLargeAnswerGivesTheSameAlbumAsTheWholeParse(style: FakeImgur.WireStyle) async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.setStyle(style)
        fake.add(FakeAlbum(id: "q6i58", title: "Big", media: Self.media(4000)))
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spool = try Directory.open(path)
        let client = try client(fake)

        let whole = try await client.album(ImgurID("q6i58")!)
        let (album, list) = try await client.album(ImgurID("q6i58")!, spoolingIn: spool)
        #expect(list.isSpooled)
        #expect(list.count == 4000)
        #expect(try items(list) == whole.raw["images"]?.arrayValue)
        #expect(album.title == "Big")
        #expect(album.images.isEmpty)
        var members = try #require(whole.raw.objectValue)
        members["images"] = .array([])
        #expect(album.raw == .object(members))
        // Nothing named is left in the spool folder.
        #expect(spool.names().isEmpty)
    }

    @Test func aSmallAnswerStaysInMemory() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(FakeAlbum(id: "q6i58", media: Self.media(3)))
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (album, list) = try await client(fake).album(ImgurID("q6i58")!, spoolingIn: try Directory.open(path))
        #expect(!list.isSpooled)
        #expect(try items(list).map { $0["id"]?.stringValue } == ["M000000", "M000001", "M000002"])
        #expect(album.raw["images"] == .array([]))
    }

    /// A large answer broken in the middle is "expected JSON", as a small one is; a large
    /// `success: false` is the error it says.
    @Test func aLargeBrokenAnswerIsRefusedAsASmallOneIs() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        let filler = String(repeating: #"{"id":"AAAAAAA","title":null},"#, count: 60_000)
        fake.inject("/3/album/q6i58", .json(#"{"data":{"id":"q6i58","images":[\#(filler){"id":"BBBBBBB",]}}"#))
        fake.inject(
            "/3/album/b1g00",
            .json(#"{"data":{"error":"Album is private","padding":"\#(String(repeating: "x", count: 2 << 20))"},"success":false,"status":403}"#))
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spool = try Directory.open(path)
        let client = try client(fake)
        let broken = await #expect(throws: ImgurAPIError.self) { _ = try await client.album(ImgurID("q6i58")!, spoolingIn: spool) }
        guard case .notJSON(let status, _, let snippet)? = broken else {
            Issue.record("not notJSON: \(String(describing: broken))")
            return
        }
        #expect(status == 200)
        #expect(snippet.contains("not JSON at byte"))
        await #expect(throws: ImgurAPIError.forbidden(status: 403, message: "Album is private")) {
            _ = try await client.album(ImgurID("b1g00")!, spoolingIn: spool)
        }
        #expect(spool.names().isEmpty)
    }

    /// A gallery post that is an image keeps the `images` it came with in its own object; one that
    /// is an album without `is_album` is told by its list.
    @Test func galleryPostsAreToldApartAsBefore() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        let image = #"{"id":"XyZ12ab","is_album":false,"type":"image/jpeg","link":"https://i.imgur.com/XyZ12ab.jpg","images":[{"id":"Other01"}]}"#
        fake.inject("/3/gallery/XyZ12ab", .json(#"{"data":\#(image),"success":true,"status":200}"#))
        fake.inject("/3/gallery/q6i58", .json(#"{"data":{"id":"q6i58","images":[{"id":"AAAAAAA"}]},"success":true,"status":200}"#))
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spool = try Directory.open(path)
        let client = try client(fake)
        let (post, list) = try await client.galleryItem(ImgurID("XyZ12ab")!, spoolingIn: spool)
        #expect(post.raw == (try JSONValue.parse(Data(image.utf8))))
        #expect(list.count == 0)
        let (album, images) = try await client.galleryItem(ImgurID("q6i58")!, spoolingIn: spool)
        guard case .album = album else {
            Issue.record("not an album: \(album)")
            return
        }
        #expect(try items(images).map { $0["id"]?.stringValue } == ["AAAAAAA"])
    }

    /// `/3/album/{id}/images` completes a short list, spooled as well.
    @Test func aShortListIsCompletedFromTheImagesCall() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        let media = Self.media(2500)
        fake.add(FakeAlbum(id: "q6i58", media: media))
        let full = fake.apiAnswer("/3/album/q6i58/images")
        let first = try JSONValue.parse(fake.apiAnswer("/3/album/q6i58").body)
        guard case .object(var data)? = first["data"] else { throw ImgurAPIError.malformedResponse("fixture") }
        data["images"] = .array(Array(data["images"]?.arrayValue?.prefix(10) ?? []))
        fake.inject("/3/album/q6i58", .json(String(decoding: JSONValue.object(["data": .object(data), "success": true, "status": 200]).serialized(.compact), as: UTF8.self)))
        fake.inject("/3/album/q6i58/images", full)
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (_, list) = try await client(fake).album(ImgurID("q6i58")!, spoolingIn: try Directory.open(path))
        #expect(list.count == 2500)
        #expect(list.isSpooled)
        #expect(try items(list).last?["id"] == .string("M002499"))
    }
}
