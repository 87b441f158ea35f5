import Foundation
import ImgurAPI
import TestSupport
import Testing

@testable import ImgurArchive

@Suite struct EndToEndTests {
    @Test func archivesAnAlbumAndSkipsItOnTheNextRunWithoutRequests() async throws {
        let harness = try Harness()
        let media = [
            FakeMedia(id: "AAAAAAA", ext: "jpg", size: 70_000, description: "first step"),
            FakeMedia(id: "BBBBBBB", ext: "png", size: 3_000),
            FakeMedia(id: "CCCCCCC", ext: "mp4", size: 250_000, description: "a video"),
        ]
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "Wallpapers", description: "All of them", media: media))

        let first = await harness.run(["q6i58"])
        #expect(first.status == .success, "\(first.out)\n\(first.err)")
        for item in media {
            #expect(harness.data("q6i58/\(item.fileName)") == item.data)
        }
        #expect(harness.json("q6i58/script_q6i58.json") == ["1": "AAAAAAA", "2": "BBBBBBB", "3": "CCCCCCC"])
        #expect(harness.json("q6i58/descriptions_q6i58.json") == ["AAAAAAA": "first step", "BBBBBBB": nil, "CCCCCCC": "a video"])
        let metadata = try #require(harness.json("q6i58/metadata_q6i58.json"))
        #expect(metadata["id"] == "q6i58")
        #expect(metadata["title"] == "Wallpapers")
        #expect(metadata["media_count"] == 3)
        #expect(metadata["media"]?.arrayValue?[0]["sha256"]?.stringValue == SHA256.hexDigest(of: media[0].data))
        #expect(metadata["api"]?["views"] == .int(7_050_020_626_740))

        harness.imgur.server.resetLog()
        let second = await harness.run(["q6i58"])
        #expect(second.status == .success)
        #expect(harness.imgur.requestCount == 0)
        #expect(second.out.contains("already archived"))
        print(first.out, first.err, second.out)
    }
}
