import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurArchiveCLI

/// `--refresh` records what changed on Imgur since the album was archived (docs/scale-out.md,
/// "Upstream change tracking"; docs/archive-format.md, "history_<ID>.json").
@Suite struct ChangeTrackingTests {
    @Test func aRefreshRecordsAddedRemovedReorderedAndEditedMediaAndKeepsTheOld() async throws {
        let harness = try Harness()
        let a = FakeMedia(id: "ChgAAAA", size: 2_000, title: "one", description: "first")
        let b = FakeMedia(id: "ChgBBBB", ext: "png", size: 2_500, description: "second")
        let c = FakeMedia(id: "ChgCCCC", size: 3_000)
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "Before", description: "old text", media: [a, b, c]))
        #expect(await harness.run(["q6i58"]).status == .success)

        // On Imgur since: c removed (its file now Imgur's placeholder), b before a, a's title and the
        // album's title edited, d added.
        var edited = a
        edited.title = "one, renamed"
        let d = FakeMedia(id: "ChgDDDD", size: 1_500, description: "new one")
        harness.imgur.add(FakeAlbum(id: "q6i58", title: "After", description: "old text", media: [b, edited, d]))
        harness.imgur.add(media: c, listed: false)
        for _ in 0..<4 { harness.imgur.inject("/media/ChgCCCC.jpg", .redirect(to: "\(harness.imgur.apiBase)/removed.png")) }
        let refresh = await harness.run(["--refresh", "q6i58"])
        #expect(refresh.status == .success, "\(refresh.out)\(refresh.err)")

        let history = try #require(harness.json("q6i58/history_q6i58.json")?.objectValue)
        let changes = history.values.compactMap { $0["change"]?.stringValue }.sorted()
        #expect(changes == ["media_added", "media_removed", "media_title_changed", "reordered", "title_changed"], "\(changes)")
        #expect(history.values.contains { $0["change"] == "title_changed" && $0["from"] == "Before" && $0["to"] == "After" })
        #expect(history.values.contains { $0["change"] == "media_title_changed" && $0["from"] == "one" && $0["media"] == "ChgAAAA" })
        #expect(history.values.contains { $0["change"] == "media_added" && $0["media"] == "ChgDDDD" })
        // The removed media's file is the archived one, never the placeholder.
        #expect(harness.data("q6i58/ChgCCCC.jpg") == c.data)
        #expect(harness.data("q6i58/ChgDDDD.jpg") == d.data)
        #expect(await harness.run(["verify"]).status == .success)
        // A second refresh with nothing new records nothing more.
        let count = history.count
        #expect(await harness.run(["--refresh", "q6i58"]).status == .success)
        #expect(harness.json("q6i58/history_q6i58.json")?.objectValue?.count == count)
    }

    /// Still listed, but its link now answers with Imgur's placeholder: the archived file stays.
    @Test func aMediaNowServedAsThePlaceholderKeepsItsArchivedFile() async throws {
        let harness = try Harness()
        let a = FakeMedia(id: "PlcAAAA", size: 2_000)
        let b = FakeMedia(id: "PlcBBBB", size: 2_500, description: "kept")
        let c = FakeMedia(id: "PlcCCCC", size: 2_700)
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [a, b, c]))
        #expect(await harness.run(["q6i58"]).status == .success)
        harness.imgur.add(FakeAlbum(id: "q6i58", media: [a, FakeMedia(id: "PlcBBBB", size: 2_600, description: "kept"), c]))
        for media in ["PlcBBBB", "PlcCCCC"] {
            for _ in 0..<4 { harness.imgur.inject("/media/\(media).jpg", .redirect(to: "\(harness.imgur.apiBase)/removed.png")) }
        }
        let refresh = await harness.run(["--refresh", "q6i58"])
        #expect(harness.data("q6i58/PlcBBBB.jpg") == b.data, "\(refresh.out)\(refresh.err)")
        #expect(harness.data("q6i58/PlcCCCC.jpg") == c.data)
        #expect(refresh.status == .success)
        // The HEADs run side by side; what they found is said and recorded in album order.
        #expect(refresh.err.contains(
            "q6i58/PlcBBBB.jpg: Imgur now serves its placeholder; the archived file is kept\n"
                + "q6i58/PlcCCCC.jpg: Imgur now serves its placeholder; the archived file is kept"), "\(refresh.err)")
        let history = try #require(harness.json("q6i58/history_q6i58.json")?.objectValue)
        #expect(history.values.compactMap { $0["change"]?.stringValue } == ["media_placeholder_served", "media_placeholder_served"])
        #expect(Set(history.values.compactMap { $0["media"]?.stringValue }) == ["PlcBBBB", "PlcCCCC"])
        #expect(harness.imgur.requests("/media/PlcBBBB.jpg").last?.method == "HEAD", "a HEAD, never the body")
        // Recorded once, however many refreshes see it.
        let again = await harness.run(["--refresh", "q6i58"])
        #expect(again.status == .success, "\(again.out)\(again.err)")
        #expect(harness.json("q6i58/history_q6i58.json")?.objectValue?.count == 2)
        #expect(await harness.run(["verify"]).status == .success)
    }
}
