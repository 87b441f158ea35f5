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

/// A storage directory others can write to (docs/design.md, "Threat model"): files planted before a
/// run never make it write outside the directory, and nothing archived is ever lost.
@Suite struct HostileStorageTests {
    /// A folder outside the storage directory, with one file whose bytes must never change.
    final class Outside {
        let path: String
        let file: String
        static let bytes = Data("do not touch\n".utf8)

        init() throws {
            path = try makeTemporaryDirectory("outside")
            file = "\(path)/precious"
            try Self.bytes.write(to: URL(fileURLWithPath: file))
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        var untouched: Bool {
            FileManager.default.contents(atPath: file) == Self.bytes
                && (try? FileManager.default.contentsOfDirectory(atPath: path)) == ["precious"]
        }
    }

    static func setUp() throws -> (Harness, [FakeMedia]) {
        let harness = try Harness()
        let media = FakeMedia.sampleAlbum()
        harness.imgur.add(FakeAlbum(id: "MixAll7", title: "Mix", media: media))
        return (harness, media)
    }

    // MARK: 1. A symlinked album folder

    @Test func aSymlinkedAlbumFolderIsRefusedNotFollowed() async throws {
        let (harness, _) = try Self.setUp()
        let outside = try Outside()
        #expect(symlink(outside.path, harness.path("MixAll7")) == 0)
        let result = await harness.run(["MixAll7"])
        #expect(result.status == .failure)
        #expect(result.out.contains("\(harness.path("MixAll7")) is a symbolic link; refusing to follow it out of the storage directory"))
        #expect(outside.untouched)
        #expect(harness.json("scraping_logs.json")?["MixAll7"] == nil)
        let verify = await harness.run(["verify", "MixAll7"])
        #expect(verify.status == .failure)
        #expect(verify.out.contains("is a symbolic link"))
        #expect(outside.untouched)
    }

    // MARK: 2. A symlinked .part file

    @Test func aPlantedPartialFileSymlinkIsNeverWrittenThrough() async throws {
        let (harness, media) = try Self.setUp()
        let outside = try Outside()
        try FileManager.default.createDirectory(atPath: harness.path("MixAll7"), withIntermediateDirectories: true)
        let name = media[0].fileName
        #expect(symlink(outside.file, harness.path("MixAll7/.\(name).part")) == 0)
        try ResumeState(url: harness.imgur.mediaURL(name), etag: media[0].etag, lastModified: nil, length: Int64(media[0].data.count))
            .save(".\(name).part.json", in: try Directory.open(harness.path("MixAll7")))
        _ = await harness.run(["MixAll7"])
        #expect(outside.untouched)
        var info = stat()
        #expect(lstat(harness.path("MixAll7/\(name)"), &info) != 0 || (info.st_mode & S_IFMT) != S_IFLNK, "the final file is no symlink")
    }

    // MARK: 3. A symlinked lock file

    @Test func aSymlinkedLockFileIsNotWrittenThrough() async throws {
        let (harness, _) = try Self.setUp()
        let outside = try Outside()
        #expect(symlink(outside.file, harness.path(".imgur-archive.lock")) == 0)
        let result = await harness.run(["MixAll7"])
        #expect(result.status == .success, "\(result.out)\(result.err)")
        #expect(outside.untouched)
    }

    // MARK: 4. Predictable temporary names

    @Test func symlinksPlantedAtTheOldTemporaryNamesCatchNothing() async throws {
        let (harness, _) = try Self.setUp()
        let outside = try Outside()
        try FileManager.default.createDirectory(atPath: harness.path("MixAll7"), withIntermediateDirectories: true)
        // The names earlier versions used, for the pids around this one.
        for pid in (getpid() - 5)...(getpid() + 5) {
            for name in [".index.html.tmp-\(pid)", "scraping_logs.json.compact-\(pid)", ".scraping_logs.json.tmp-\(pid)",
                         "MixAll7/.metadata_MixAll7.json.tmp-\(pid)", "MixAll7/.index.html.tmp-\(pid)"] {
                _ = symlink(outside.file, harness.path(name))
            }
        }
        #expect(await harness.run(["MixAll7"]).status == .success)
        #expect(await harness.run(["--refresh", "MixAll7"]).status == .success)  // compacts the catalog
        #expect(await harness.run(["html"]).status == .success)
        #expect(outside.untouched)
    }

    @Test func aTemporaryFileIsCreatedOnlyWhereNothingIs() throws {
        let folder = try Directory.open(try makeTemporaryDirectory())
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        let (file, name) = try folder.createTemporary(for: "metadata_q6i58.json")
        try file.close()
        #expect(Directory.isTemporaryName(name))
        #expect(name.hasPrefix(".metadata_q6i58.json.tmp-"))
        #expect(throws: FileError.self, "O_EXCL: an existing name is never reused") { _ = try folder.create(name, exclusive: true) }
        let names = Set((0..<100).map { _ in Directory.temporaryName(for: "x") })
        #expect(names.count == 100, "unpredictable: no two alike")
    }

    // MARK: 5. A refresh after the album shrank on Imgur

    @Test func aRefreshAfterTheAlbumShrankKeepsEveryRecord() async throws {
        let (harness, media) = try Self.setUp()
        #expect(await harness.run(["MixAll7"]).status == .success)
        // Imgur now lists only the first media, with another description, and another album text.
        var first = media[0]
        first.description = "new words"
        harness.imgur.add(FakeAlbum(id: "MixAll7", title: "Mix", description: "rewritten", media: [first]))
        let refresh = await harness.run(["--refresh", "MixAll7"])
        #expect(refresh.status == .success, "\(refresh.out)\(refresh.err)")

        let metadata = try #require(harness.json("MixAll7/metadata_MixAll7.json"))
        let records = try #require(metadata["media"]?.arrayValue)
        #expect(records.map { $0["id"] } == [.string(media[0].id), .string(media[1].id), .string(media[2].id)])
        #expect(records.map { $0["position"] } == [1, 2, 3])
        #expect(records[1]["removed_upstream_at"] == "2026-09-21T14:13:20Z")
        #expect(records[2]["removed_upstream_at"] == "2026-09-21T14:13:20Z")
        #expect(records[1]["sha256"] == .string(SHA256.hexDigest(of: media[1].data)))
        for item in media { #expect(harness.data("MixAll7/\(item.fileName)") == item.data) }
        let descriptions = try #require(harness.json("MixAll7/descriptions_MixAll7.json"))
        #expect(descriptions[media[0].id] == "new words")
        #expect(descriptions[media[2].id] == .string(media[2].description ?? ""), "the removed media's text is kept")
        #expect(harness.json("MixAll7/script_MixAll7.json")?.objectValue?.count == 3)

        // What changed, with the old texts.
        let history = try #require(harness.json("MixAll7/history_MixAll7.json")?.objectValue)
        let changes = history.values.compactMap { $0["change"]?.stringValue }.sorted()
        #expect(changes == ["description_changed", "media_description_changed", "media_removed", "media_removed"])
        #expect(history.values.contains { $0["change"] == "media_description_changed" && $0["from"] == "first step" })

        #expect(await harness.run(["verify"]).status == .success, "nothing 'belongs to nothing'")
        #expect(await harness.run(["html"]).status == .success)
        let page = String(decoding: harness.data("MixAll7/index.html") ?? Data(), as: UTF8.self)
        #expect(page.contains("changed since: 4 changes on Imgur"))
        #expect(page.contains("no longer on Imgur since 2026-09-21"))
    }

    @Test func aRepairKeepsTheArchivedTextsInTheHistory() async throws {
        let (harness, media) = try Self.setUp()
        #expect(await harness.run(["MixAll7"]).status == .success)
        harness.imgur.add(FakeAlbum(id: "MixAll7", title: "Mix", description: "now different", media: media))
        try Data("x".utf8).write(to: URL(fileURLWithPath: harness.path("MixAll7/\(media[1].fileName)")))
        #expect(await harness.run(["verify", "--repair"]).status == .success)
        let history = try #require(harness.json("MixAll7/history_MixAll7.json")?.objectValue)
        #expect(history.values.contains { $0["change"] == "description_changed" && $0["from"] == .null && $0["to"] == "now different" })
    }

    // MARK: 6. A second writer of the catalog

    @Test func theCatalogRefusesASecondWriter() throws {
        let layout = try StorageLayout(root: try makeTemporaryDirectory())
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let first = try Catalog.open(in: layout)
        #expect(throws: FileError.locked(path: layout.catalog, pid: nil)) { _ = try Catalog.open(in: layout) }
        // Rewritten behind its back: the next append is refused instead of interleaving lines.
        let theirs = Data("{\n\"XyZ12\": {\"id\":\"XyZ12\"}\n}\n".utf8)
        try theirs.write(to: URL(fileURLWithPath: layout.catalog))
        #expect(throws: FileError.self) {
            try first.append(CatalogEntry(id: ImgurID("AbCdE")!, status: .unavailable, recordedAt: Date()))
        }
        #expect(FileManager.default.contents(atPath: layout.catalog) == theirs)
    }

    // MARK: 7. Leftovers of a killed run

    @Test func leftoversAreNamedByVerifyAndRemovedByTheNextRun() async throws {
        let (harness, _) = try Self.setUp()
        #expect(await harness.run(["MixAll7"]).status == .success)
        let litter = [
            "MixAll7/.descriptions_MixAll7.json.tmp-0123456789abcdef", ".index.html.tmp-fedcba9876543210",
            ".scraping_logs.json.tmp-00112233445566ff",
        ]
        for name in litter { try harness.write("half", to: name) }
        let verify = await harness.run(["verify"])
        #expect(verify.status == .success, "leftovers are not damage: \(verify.out)")
        #expect(verify.out.contains("1 leftover temporary file (the next run removes it)"), "\(verify.out)")
        #expect(!verify.out.contains("belongs to nothing"))
        #expect(await harness.run(["--refresh", "MixAll7"]).status == .success)
        #expect(await harness.run(["html"]).status == .success)
        #expect(litter.allSatisfy { !FileManager.default.fileExists(atPath: harness.path($0)) }, "\(harness.files())")
    }

    // MARK: 19. Set-aside copies

    @Test func twoRepairsInTheSameSecondKeepBothDamagedCopies() async throws {
        let (harness, media) = try Self.setUp()
        #expect(await harness.run(["MixAll7"]).status == .success)
        let name = media[1].fileName
        for damage in ["first damage", "second damage"] {
            try Data(damage.utf8).write(to: URL(fileURLWithPath: harness.path("MixAll7/\(name)")))
            #expect(await harness.run(["verify", "--repair"]).status == .success)
        }
        let quarantine = try FileManager.default.contentsOfDirectory(atPath: harness.path("quarantine/MixAll7")).sorted()
        #expect(quarantine.count == 2, "\(quarantine)")
        let kept = Set(quarantine.compactMap { FileManager.default.contents(atPath: harness.path("quarantine/MixAll7/\($0)")) })
        #expect(kept == [Data("first damage".utf8), Data("second damage".utf8)])
    }

    @Test func twoTornTailsInTheSameSecondKeepBothCuts() throws {
        let layout = try StorageLayout(root: try makeTemporaryDirectory())
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        for cut in ["\"AbCdE\": {\"id\":\"Ab", "\"XyZ12\": {\"id\":\"Xy"] {
            try Data("{\n\"q6i58\": {\"id\":\"q6i58\"},\n\(cut)".utf8).write(to: URL(fileURLWithPath: layout.catalog))
            try Catalog.open(in: layout, now: now).close()
        }
        let torn = try FileManager.default.contentsOfDirectory(atPath: layout.root).filter { $0.contains(".torn-") }.sorted()
        #expect(torn == ["scraping_logs.json.torn-1790000000", "scraping_logs.json.torn-1790000000-2"])
    }

    // MARK: 22. A crafted archive and the viewer

    @Test func theViewerLinksOnlyMediaTypesImgurServes() async throws {
        let (harness, _) = try Self.setUp()
        #expect(await harness.run(["MixAll7"]).status == .success)
        var metadata = try #require(harness.json("MixAll7/metadata_MixAll7.json"))
        if case .object(var members) = metadata, var media = members["media"]?.arrayValue, case .object(var first) = media[0] {
            first["file"] = "AAAAAAA.html"
            media[0] = .object(first)
            members["media"] = .array(media)
            metadata = .object(members)
        }
        try harness.write("<script>alert(1)</script>", to: "MixAll7/AAAAAAA.html")
        try harness.write("<svg onload=alert(1)>", to: "MixAll7/AAAAAAA.svg")
        try metadata.serialized().write(to: URL(fileURLWithPath: harness.path("MixAll7/metadata_MixAll7.json")))
        _ = await harness.run(["html"])
        let page = String(decoding: harness.data("MixAll7/index.html") ?? Data(), as: UTF8.self)
        #expect(!page.contains("AAAAAAA.html") && !page.contains(".svg"))
        #expect(MediaFileName.parse("AAAAAAA.svg") == nil && MediaFileName.parse("AAAAAAA.html") == nil)
    }

    // MARK: 20. html stops on a signal

    @Test func aCancelledViewerLeavesTheOldPageAndNoTemporaryFile() async throws {
        let (harness, _) = try Self.setUp()
        #expect(await harness.run(["MixAll7"]).status == .success)
        #expect(await harness.run(["html"]).status == .success)
        let before = harness.data("index.html")
        let layout = try StorageLayout(root: harness.directory)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try ViewerWriter(layout: layout, events: Reporter(console: Console.capturing().0, verbosity: .quiet)).write()
        }
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(harness.data("index.html") == before)
        #expect(harness.files().allSatisfy { !Directory.isTemporaryName(($0 as NSString).lastPathComponent) }, "\(harness.files())")
    }

    // MARK: 21. A huge line in links.txt

    @Test func aHugeLineInLinksTxtIsRefusedWithoutBeingKept() async throws {
        let (harness, media) = try Self.setUp()
        var text = Data("MixAll7\n".utf8)
        text.append(Data(repeating: UInt8(ascii: "a"), count: 20_000_000))
        text.append(Data("\n".utf8))
        try text.write(to: URL(fileURLWithPath: harness.path("links.txt")))
        let result = await harness.run([])
        #expect(result.status == .failure)
        #expect(result.err.contains("error: links.txt line 2: longer than 8192 bytes; not an Imgur id or URL"))
        #expect(result.err.count < 1_000, "no echo of the line")
        #expect(harness.data("MixAll7/\(media[0].fileName)") == media[0].data, "the good line was archived")
    }
}
