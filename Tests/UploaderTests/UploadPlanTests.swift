import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import Uploader

/// What `upload` takes from its arguments, and what it refuses before sending.
@Suite struct UploadPlanTests {
    @Test func namesAreOrderedAsPeopleNumberThem() {
        let names = ["10.jpg", "2.jpg", "1.jpg", "b.jpg", "a10.png", "a9.png"].sorted(by: UploadInputs.nameOrder)
        #expect(names == ["1.jpg", "2.jpg", "10.jpg", "a9.png", "a10.png", "b.jpg"])
    }

    @Test func argumentsBecomeFilesFolderFilesAndURLs() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/album/sub", withIntermediateDirectories: true)
        for name in ["2.jpg", "10.jpg", ".hidden.jpg", "2.jpg.txt", "notes.txt"] {
            FileManager.default.createFile(atPath: "\(root)/album/\(name)", contents: Data("x".utf8))
        }
        FileManager.default.createFile(atPath: "\(root)/one.png", contents: Data("x".utf8))
        let expanded = UploadInputs.expand(["album", "one.png", "https://example.org/a.png", "missing.jpg", "http://"], base: root)
        #expect(expanded.sources == [
            .file(path: "\(root)/album/2.jpg"), .file(path: "\(root)/album/10.jpg"), .file(path: "\(root)/one.png"),
            .url("https://example.org/a.png"),
        ])
        #expect(expanded.problems == ["no such file: missing.jpg", "not a valid URL: http://"])
        try "  a caption \n".write(toFile: "\(root)/album/2.jpg.txt", atomically: true, encoding: .utf8)
        #expect(UploadInputs.sidecarDescription(for: .file(path: "\(root)/album/2.jpg")) == "a caption")
        #expect(UploadInputs.sidecarDescription(for: .file(path: "\(root)/album/10.jpg")) == nil)
    }

    @Test func filesAreCheckedByTheirBytesAndSizeBeforeSending() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let check = UploadCheck(imageLimit: 5_000, videoLimit: 20_000)
        func write(_ name: String, _ data: Data) -> String {
            FileManager.default.createFile(atPath: "\(root)/\(name)", contents: data)
            return "\(root)/\(name)"
        }
        let jpeg = write("photo.png", FakeMedia(id: "Aaaaaaa", ext: "jpg", size: 4_000).data)  // a JPEG named .png
        #expect(try check.check(jpeg).get().type == .jpeg)
        let video = write("clip.mp4", FakeMedia(id: "Bbbbbbb", ext: "mp4", size: 15_000).data)
        #expect(try check.check(video).get().type == .mp4)
        let bigStill = write("big.jpg", FakeMedia(id: "Ccccccc", ext: "jpg", size: 6_000).data)
        #expect(throws: UploadError.self) { try check.check(bigStill).get() }
        let text = write("text.jpg", Data("hello, this is not an image".utf8))
        guard case .failure(.notUploadable(_, let reason)) = check.check(text) else {
            Issue.record("a text file passed")
            return
        }
        #expect(reason.hasPrefix("text.jpg is not an image or video Imgur takes"))
        #expect(throws: UploadError.self) { try check.check(write("empty.jpg", Data())).get() }
    }

    /// A job file is written 0600, survives a reopen with every change, and keeps the last one.
    @Test func aJobFileKeepsEveryChangeAndIsPrivate() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try JobStore(root: Directory.open(root))
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let file = try store.create(
            items: [.file(path: "/x/a.jpg"), .url("https://example.org/b.png")], now: now,
            configure: { $0.album = .new(title: "T", id: nil, deletehash: nil, uncertain: false) }, describe: { _ in "d" })
        let id = file.current.job.id
        try file.update(1) {
            $0.state = .completed
            $0.imgurID = "Abc1234"
            $0.deletehash = "abcdefghij12345"
        }
        file.close()
        #expect(FileSystem.mode("\(store.path)/\(id).json")! & 0o777 == 0o600)
        let (job, items) = try store.snapshot(id)
        #expect(job.album == .new(title: "T", id: nil, deletehash: nil, uncertain: false))
        #expect(items.map(\.state) == [.completed, .pending])
        #expect(items[0].deletehash == "abcdefghij12345")
        #expect(items[0].name == "ia-\(id)-1-a.jpg")
        #expect(items[1].name == "ia-\(id)-2-b.png")
        #expect(items.map(\.description) == ["d", "d"])
        #expect(throws: UploadError.noSuchJob("nope99")) { try store.snapshot("nope99") }
    }
}
