import Foundation
import Testing
import TestSupport

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

/// `ImgurClient` end to end: real transport, fake Imgur on loopback.
@Suite(.timeLimit(.minutes(1)))
struct ImgurClientTests {
    private func client(
        _ fake: FakeImgur, clientID: String = FakeImgur.clientID, policy: RetryPolicy = .immediate,
        events: Locked<[RetryEvent]>? = nil, limits: Locked<[RateLimitStatus]>? = nil
    ) throws -> ImgurClient {
        let configuration = try APIConfiguration(baseURL: fake.apiBase, clientID: clientID, idleTimeout: 5, deadline: 20)
        return ImgurClient(
            configuration: configuration, transport: URLSessionTransport(),
            retrier: Retrier(policy: policy) { event in events?.withLock { $0.append(event) } },
            onRateLimit: { status in limits?.withLock { $0.append(status) } })
    }

    private func id(_ text: String) throws -> ImgurID {
        try #require(ImgurID(text))
    }

    private static let media = [
        FakeMedia(id: "AbCdEfG", ext: "jpg", title: "first"),
        FakeMedia(id: "x1y2z", ext: "png"),
        FakeMedia(id: "HiJkLmN", ext: "gif", animated: true, mp4File: "HiJkLmN.mp4"),
    ]

    @Test(arguments: [FakeImgur.WireStyle.escapedSlashesDataFirst, .plainStatusFirst])
    func albumInBothWireStyles(style: FakeImgur.WireStyle) async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.setStyle(style)
        fake.add(FakeAlbum(id: "q6i58", title: "Trip / 2024", media: Self.media))
        let limits = Locked<[RateLimitStatus]>([])
        let album = try await client(fake, limits: limits).album(id("q6i58"))
        #expect(album.id.rawValue == "q6i58")
        #expect(album.title == "Trip / 2024")
        #expect(album.description == nil)
        #expect(album.imagesCount == 3)
        #expect(album.images.map(\.id.rawValue) == ["AbCdEfG", "x1y2z", "HiJkLmN"])
        #expect(album.images[0].title == "first")
        #expect(album.images[0].link?.absoluteString == fake.mediaURL("AbCdEfG.jpg"))
        #expect(album.images[1].mp4 == nil)
        #expect(album.images[2].mp4?.absoluteString == fake.mediaURL("HiJkLmN.mp4"))
        #expect(album.raw["views"] == .int(7_050_020_626_740))

        let sent = fake.requests("/3/")
        #expect(sent.map(\.path) == ["/3/album/q6i58"])
        #expect(sent.first?.header("Authorization") == "Client-ID \(FakeImgur.clientID)")
        #expect(sent.first?.header("Accept") == "application/json")
        #expect(limits.current.count == 1)
        #expect(limits.current.first?.userLimit == 500)
        #expect(limits.current.first?.clientLimit == 12_500)
    }

    @Test func shortImageListIsCompletedFromTheImagesEndpoint() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(FakeAlbum(id: "q6i58", media: Self.media, extra: [("images", .array([])), ("images_count", .number("3"))]))
        let album = try await client(fake).album(id("q6i58"))
        #expect(album.images.map(\.id.rawValue) == ["AbCdEfG", "x1y2z", "HiJkLmN"])
        #expect(album.imagesCount == 3)
        #expect(fake.requests("/3/").map(\.path) == ["/3/album/q6i58", "/3/album/q6i58/images"])
    }

    /// Imgur has answered 404 (in HTML) on `/images` for an album that exists (docs/imgur-api.md §6):
    /// the album is kept with the images its own answer carried, not taken for missing.
    @Test func anImagesEndpointThatSaysNotFoundKeepsTheAlbumsOwnList() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(FakeAlbum(id: "q6i58", media: Self.media, extra: [("images_count", .number("5"))]))
        fake.inject("/3/album/q6i58/images", .html("<html><body>404</body></html>", status: 404))
        let album = try await client(fake).album(id("q6i58"))
        #expect(album.images.map(\.id.rawValue) == ["AbCdEfG", "x1y2z", "HiJkLmN"])
        #expect(fake.requests("/3/").map(\.path) == ["/3/album/q6i58", "/3/album/q6i58/images"])
    }

    @Test func image() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(media: FakeMedia(id: "AbCdEfG", ext: "png", title: "solo"))
        let image = try await client(fake).image(id("AbCdEfG"))
        #expect(image.id.rawValue == "AbCdEfG")
        #expect(image.title == "solo")
        #expect(image.type == "image/png")
        #expect(image.link?.pathExtension == "png")
    }

    @Test func missingAlbumIsNotFoundAndNotRetried() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        let events = Locked<[RetryEvent]>([])
        let client = try client(fake, events: events)
        await #expect(throws: ImgurAPIError.notFound(
            resource: "album q6i58", message: "Unable to find an album with the id, q6i58")) {
            _ = try await client.album(id("q6i58"))
        }
        #expect(fake.requests("/3/").count == 1)
        #expect(events.current.isEmpty)
    }

    @Test func wrongClientIDIsReported() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(FakeAlbum(id: "q6i58", media: Self.media))
        let client = try client(fake, clientID: "wrong")
        await #expect(throws: ImgurAPIError.invalidClientID(message: "Invalid client_id")) {
            _ = try await client.album(id("q6i58"))
        }
        #expect(fake.requests("/3/").map { $0.header("Authorization") } == ["Client-ID wrong"])
    }

    @Test func transientFailuresAreRetried() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(FakeAlbum(id: "q6i58", media: Self.media))
        fake.inject(
            "/3/album/q6i58",
            .html("<html><head><title>503 client read error</title></head></html>", status: 503),
            FakeImgur.apiError(500, "Could not complete request", request: "/3/album/q6i58"))
        let events = Locked<[RetryEvent]>([])
        let album = try await client(fake, events: events).album(id("q6i58"))
        #expect(album.images.count == 3)
        #expect(fake.requests("/3/").count == 3)
        #expect(events.current.map(\.attempt) == [1, 2])
        #expect(events.current.map(\.subject) == ["album q6i58", "album q6i58"])
        #expect(events.current.first?.reason == "Imgur server error (HTTP 503: 503 client read error)")
    }

    @Test func rateLimitWithAFarResetIsNotWaitedFor() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(FakeAlbum(id: "q6i58", media: Self.media))
        let reset = Int(Date().timeIntervalSince1970) + 3600
        fake.inject(
            "/3/album/q6i58",
            .json(
                #"{"data":{"error":"User request limit exceeded"},"success":false,"status":429}"#, status: 429,
                headers: [("X-RateLimit-UserRemaining", "0"), ("X-RateLimit-UserReset", "\(reset)")]))
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 0, maxDelay: 0, maxServerDelay: 120, jitter: 0)
        let client = try client(fake, policy: policy)
        await #expect(throws: ImgurAPIError.rateLimited(
            message: "User request limit exceeded", retryAfter: nil,
            resetAt: Date(timeIntervalSince1970: TimeInterval(reset)))) {
            _ = try await client.album(id("q6i58"))
        }
        #expect(fake.requests("/3/").count == 1)
    }

    @Test func malformedAlbumIsNotRetried() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.inject(
            "/3/album/q6i58",
            .json(#"{"data":{"id":"..\/..\/etc","images":[]},"success":true,"status":200}"#))
        let client = try client(fake)
        await #expect(throws: ImgurAPIError.malformedResponse(#"album id "../../etc" is not an Imgur id"#)) {
            _ = try await client.album(id("q6i58"))
        }
        #expect(fake.requests("/3/").count == 1)
    }

    @Test func dataBuildsQueries() async throws {
        let fake = try FakeImgur()
        defer { fake.stop() }
        fake.add(FakeAlbum(id: "q6i58", media: Self.media))
        let data = try await client(fake).data(
            ["album", "q6i58"], query: [URLQueryItem(name: "page", value: "2")], resource: "album q6i58")
        #expect(data["id"] == "q6i58")
        #expect(fake.requests("/3/").map(\.target) == ["/3/album/q6i58?page=2"])
    }
}
