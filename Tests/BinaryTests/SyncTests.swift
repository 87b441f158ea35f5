import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import Uploader

/// `sync` through the built binary against the fake Imgur: every change is found by content, never
/// by name (imgurbox's confusions), and the server's albums are checked after each run.
@Suite struct SyncTests {
    /// A storage directory with folders of media files and a sync.txt naming them.
    final class Folders: @unchecked Sendable {
        let harness: ArchiveFixture
        var environment: [String: String]

        init(_ harness: ArchiveFixture? = nil, environment: [String: String]? = nil) throws {
            self.harness = try harness ?? ArchiveFixture()
            self.environment = environment ?? self.harness.baseEnvironment
            self.environment["SOURCE_DATE_EPOCH"] = "1790000000"
        }

        var imgur: FakeImgur { harness.imgur }
        func path(_ relative: String) -> String { harness.path(relative) }

        /// Writes a media file whose bytes are decided by `seed` (same seed, same content).
        @discardableResult
        func put(_ relative: String, seed: String, ext: String = "jpg", size: Int = 3_000) throws -> Data {
            let data = FakeMedia.bytes(ext: ext, size: size, seed: seed)
            let url = URL(fileURLWithPath: path(relative))
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
            return data
        }

        func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: path(relative)) }
        func move(_ from: String, _ to: String) throws {
            try FileManager.default.createDirectory(atPath: (path(to) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: path(from), toPath: path(to))
        }

        func list(_ text: String) throws { try harness.write(text, to: "sync.txt") }

        func sync(_ arguments: [String] = []) async throws -> BinaryRunner.Result {
            try await BinaryRunner.run(["sync"] + arguments, environment: environment, directory: harness.directory)
        }

        /// The state's album of a folder (relative to the storage directory).
        func album(of folder: String) throws -> FakeAlbumRecord? {
            let state = try SyncState.snapshot(in: Directory.open(harness.directory))
            let key = (path(folder) as NSString).standardizingPath
            guard let id = state.folders[key]?.album else { return nil }
            return imgur.albumRecord(id)
        }

        /// The SHA-256 of each image of the folder's album, in album order.
        func contents(of folder: String) throws -> [String] {
            try #require(try album(of: folder)).imageIDs.compactMap { imgur.upload($0)?.sha256 }
        }

        func sha(_ data: Data) -> String { SHA256.hexDigest(of: data) }

        /// Requests sent to /3/ other than GET.
        var writes: [ServerRequest] { imgur.requests("/3/").filter { $0.method != "GET" } }
    }

    @Test func theFirstSyncMakesAHiddenAlbumInNameOrderAndANoOpSyncOnlyLists() async throws {
        let folders = try Folders()
        let two = try folders.put("pics/2.jpg", seed: "two")
        let ten = try folders.put("pics/10.jpg", seed: "ten")
        let one = try folders.put("pics/1.png", seed: "one", ext: "png")
        try folders.harness.write("not media", to: "pics-notes.txt")
        try folders.put("pics/notes.txt", seed: "x", ext: "txt", size: 40)
        try folders.list("# my folders\npics\n")
        let first = try await folders.sync()
        #expect(first.status == 0, "\(first.out)\(first.err)")
        let album = try #require(try folders.album(of: "pics"))
        #expect(album.privacy == "hidden")
        #expect(album.title == "pics")
        #expect(try folders.contents(of: "pics") == [one, two, ten].map(folders.sha), "natural name order: 1, 2, 10")
        #expect(first.out.contains("skipped          \(folders.path("pics"))/notes.txt  "), "\(first.out)")
        #expect(first.out.hasSuffix("done: 3 uploaded in 1 folder\n"), "\(first.out)")
        #expect(try FileManager.default.attributesOfItem(atPath: folders.path("sync-state.json"))[.posixPermissions] as? Int == 0o600)
        let log = try String(contentsOfFile: folders.path("sync-log.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(log.compactMap { try? JSONValue.parse(Data($0.utf8))["op"]?.stringValue } == ["unsupported", "album-created", "upload", "upload", "upload"])
        #expect(!log.joined().contains(album.deletehash), "no deletehash in the log")

        let before = folders.imgur.requests("/3/").count
        let again = try await folders.sync()
        #expect(again.status == 0, "\(again.out)\(again.err)")
        #expect(again.out == "done: nothing to do in 1 folder\n", "notes.txt is reported once: \(again.out)")
        let requests = folders.imgur.requests("/3/").dropFirst(before)
        #expect(requests.map { "\($0.method) \($0.path)" } == ["GET /3/album/\(album.id)"], "one listing, nothing else")
    }

    @Test func newDeletedRenamedAndEditedFilesAreFollowedByContent() async throws {
        let folders = try Folders()
        let a = try folders.put("pics/a.jpg", seed: "a")
        let b = try folders.put("pics/b.jpg", seed: "b")
        let c = try folders.put("pics/c.jpg", seed: "c")
        try folders.list("pics\n")
        #expect(try await folders.sync().status == 0)
        let album = try #require(try folders.album(of: "pics"))
        let ids = album.imageIDs

        // Renamed (same folder): nothing uploaded; the order follows the new name.
        try folders.move("pics/a.jpg", "pics/d.jpg")
        // Deleted, without --delete: kept on Imgur, in the album at its old place.
        try folders.remove("pics/b.jpg")
        // Edited in place: a new upload at its position; the old one leaves the album and stays.
        let c2 = try folders.put("pics/c.jpg", seed: "c, edited")
        // New.
        let e = try folders.put("pics/e.jpg", seed: "e")
        let uploadsBefore = folders.imgur.uploads.count
        let second = try await folders.sync()
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(folders.imgur.uploads.count == uploadsBefore + 2, "only the edited and the new file")
        #expect(second.out.contains("renamed          \(folders.path("pics"))/d.jpg  from a.jpg: the same image \(ids[0]), nothing sent"))
        #expect(second.out.contains("kept             \(folders.path("pics"))/b.jpg  deleted here: \(ids[1]) kept on Imgur (use --delete)"))
        #expect(try folders.contents(of: "pics") == [folders.sha(b), folders.sha(c2), folders.sha(a), folders.sha(e)], "b (kept), c, d, e")
        #expect(folders.imgur.upload(ids[2])?.deleted == false, "the old version is not deleted without --delete")
        #expect(folders.imgur.deletions.isEmpty)
        _ = c

        // --delete: the kept one and the old version go.
        let third = try await folders.sync(["--delete"])
        #expect(third.status == 0, "\(third.out)\(third.err)")
        #expect(Set(folders.imgur.deletions.map(\.id)) == [ids[1], ids[2]])
        #expect(try folders.contents(of: "pics") == [folders.sha(c2), folders.sha(a), folders.sha(e)])
        for name in ["c.jpg", "d.jpg", "e.jpg"] { #expect(FileManager.default.fileExists(atPath: folders.path("pics/\(name)")), "nothing local is deleted") }
    }

    @Test func aMoveBetweenFoldersMovesTheImageAndSameNamesAreNeverConfused() async throws {
        let folders = try Folders()
        let cat = try folders.put("one/cat.jpg", seed: "cat")
        let dogOne = try folders.put("one/dog.jpg", seed: "dog in one")
        let dogTwo = try folders.put("two/dog.jpg", seed: "dog in two")  // same name, other content
        try folders.list("one\ntwo\n")
        #expect(try await folders.sync().status == 0)
        #expect(folders.imgur.uploads.count == 3, "two dog.jpg, two uploads")
        #expect(try folders.contents(of: "one") == [cat, dogOne].map(folders.sha))
        #expect(try folders.contents(of: "two") == [dogTwo].map(folders.sha))

        try folders.move("one/cat.jpg", "two/cat.jpg")
        // imgurbox's confusion: a same-named file elsewhere is not a move. dog.jpg of two changes in place.
        let dogTwoNew = try folders.put("two/dog.jpg", seed: "another dog in two")
        let moved = try await folders.sync()
        #expect(moved.status == 0, "OUT \(moved.out) ERR \(moved.err)")
        #expect(folders.imgur.uploads.count == 4, "the cat is not uploaded again; the edited dog is")
        #expect(moved.out.contains("moved            \(folders.path("two"))/cat.jpg  from \(folders.path("one"))/cat.jpg"), "\(moved.out)")
        #expect(try folders.contents(of: "one") == [dogOne].map(folders.sha))
        #expect(try folders.contents(of: "two") == [cat, dogTwoNew].map(folders.sha))
    }

    @Test func theSameContentInTwoFoldersIsOneUploadInBothAlbums() async throws {
        let folders = try Folders()
        let shared = try folders.put("one/shared.jpg", seed: "shared")
        try folders.put("one/only.jpg", seed: "only")
        let other = try folders.put("two/other.jpg", seed: "other")
        try folders.list("one\ntwo\n")
        #expect(try await folders.sync().status == 0)
        try folders.put("two/copy.jpg", seed: "shared")
        let second = try await folders.sync()
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(second.out.contains("same content     \(folders.path("two"))/copy.jpg  the same content as \(folders.path("one"))/shared.jpg: one upload"))
        #expect(folders.imgur.uploadCount(sha256: folders.sha(shared)) == 1)
        #expect(try folders.contents(of: "two") == [shared, other].map(folders.sha))
        #expect(try folders.contents(of: "one").contains(folders.sha(shared)))
    }

    /// The same content new in two folders in one run: sent once, linked into the other album
    /// (with its album, or once its other uploads make it one); a dry run says so first.
    @Test func theSameContentNewInTwoFoldersInOneRunIsOneUpload() async throws {
        let folders = try Folders()
        let first = try folders.put("one/first.jpg", seed: "first")
        let shared = try folders.put("one/shared.jpg", seed: "shared")
        try folders.put("two/shared copy.jpg", seed: "shared")
        let other = try folders.put("two/other.jpg", seed: "other")
        try folders.list("one\ntwo\n")
        let dry = try await folders.sync(["--dry-run"])
        #expect(dry.status == 0, "\(dry.out)\(dry.err)")
        #expect(dry.out.contains("would add        \(folders.path("two"))/shared copy.jpg  the same content as \(folders.path("one"))/shared.jpg: one upload (uploaded by this sync), in both albums"), "\(dry.out)")
        #expect(!dry.out.contains("would upload     \(folders.path("two"))/shared copy.jpg"), "\(dry.out)")
        // Two has no album yet: its other file makes it, then the copy joins it.
        let run = try await folders.sync()
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(folders.imgur.uploadCount(sha256: folders.sha(shared)) == 1, "\(run.out)")
        #expect(try folders.contents(of: "one") == [first, shared].map(folders.sha))
        #expect(try folders.contents(of: "two") == [other, shared].map(folders.sha))
        // Both albums exist now: new content in both is sent once again.
        let again = try folders.put("one/again.jpg", seed: "again")
        try folders.put("two/again too.jpg", seed: "again")
        // A second copy in the same folder: an album lists an image once, so that one is sent.
        try folders.put("two/again zzz.jpg", seed: "again")
        let next = try await folders.sync()
        #expect(next.status == 0, "\(next.out)\(next.err)")
        #expect(next.out.contains("same content     \(folders.path("two"))/again too.jpg  the same content as \(folders.path("one"))/again.jpg: one upload ("), "\(next.out)")
        #expect(folders.imgur.uploadCount(sha256: folders.sha(again)) == 2)
        #expect(try folders.contents(of: "two") == [again, again, other, shared].map(folders.sha))
        // A new folder with content already on Imgur and a file of its own: that file makes its
        // album, the content joins it.
        let own = try folders.put("three/own.jpg", seed: "own")
        try folders.put("three/shared again.jpg", seed: "shared")
        try folders.list("one\ntwo\nthree\n")
        let third = try await folders.sync()
        #expect(third.status == 0, "\(third.out)\(third.err)")
        #expect(folders.imgur.uploadCount(sha256: folders.sha(shared)) == 1, "\(third.out)")
        #expect(try folders.contents(of: "three") == [own, shared].map(folders.sha))
        // The copy deleted in three, with --delete: the image leaves three's album, and stays on
        // Imgur for the files of one and two.
        try FileManager.default.removeItem(atPath: folders.path("three/shared again.jpg"))
        let deleted = try await folders.sync(["--delete"])
        #expect(deleted.status == 0, "\(deleted.out)\(deleted.err)")
        #expect(deleted.out.contains("removed          \(folders.path("three"))/shared again.jpg  deleted here: "), "\(deleted.out)")
        #expect(try folders.contents(of: "three") == [own].map(folders.sha))
        #expect(try folders.contents(of: "one") == [again, first, shared].map(folders.sha))
        #expect(folders.imgur.deletions.isEmpty)
    }

    @Test func aReorderIsOneAlbumUpdateReadBack() async throws {
        let folders = try Folders()
        let a = try folders.put("pics/1 a.jpg", seed: "a")
        let b = try folders.put("pics/2 b.jpg", seed: "b")
        try folders.list("pics\n")
        #expect(try await folders.sync().status == 0)
        let album = try #require(try folders.album(of: "pics"))
        try folders.move("pics/1 a.jpg", "pics/3 a.jpg")
        let before = folders.imgur.requests("/3/").count
        let second = try await folders.sync()
        #expect(second.status == 0, "\(second.out)\(second.err)")
        #expect(try folders.contents(of: "pics") == [b, a].map(folders.sha))
        let sent = folders.imgur.requests("/3/").dropFirst(before).map { "\($0.method) \($0.path)" }
        #expect(sent == ["GET /3/album/\(album.id)", "PUT /3/album/\(album.deletehash)", "GET /3/album/\(album.id)"], "\(sent)")

        // Someone reorders the album on Imgur: reported, and the folder's order set again.
        let ids = try #require(folders.imgur.albumRecord(album.id)).imageIDs
        let (status, _) = try await WriteSideTests.request(
            "PUT", folders.imgur.apiBase + "/3/album/\(album.deletehash)",
            json: "{\"deletehashes\": [\"\(folders.imgur.upload(ids[1])!.deletehash)\", \"\(folders.imgur.upload(ids[0])!.deletehash)\"]}",
            headers: ["Authorization": "Client-ID \(FakeImgur.clientID)"])
        #expect(status == 200)
        #expect(try folders.contents(of: "pics") == [a, b].map(folders.sha))
        let third = try await folders.sync()
        #expect(third.status == 0, "\(third.out)\(third.err)")
        #expect(third.out.contains("reordered        \(album.id)  \(folders.path("pics")): the order was changed on Imgur since the last sync"), "\(third.out)")
        #expect(try folders.contents(of: "pics") == [b, a].map(folders.sha))
    }

    @Test func changesOnImgurAreReportedAndPushUploadsWhatWasLost() async throws {
        let folders = try Folders()
        let a = try folders.put("pics/a.jpg", seed: "a")
        let b = try folders.put("pics/b.jpg", seed: "b")
        try folders.list("pics\n")
        #expect(try await folders.sync().status == 0)
        let album = try #require(try folders.album(of: "pics"))
        // Someone deletes b on Imgur.
        try await FakeRequests.delete("/3/image/\(try #require(folders.imgur.upload(album.imageIDs[1])?.deletehash))", on: folders.imgur)
        let reported = try await folders.sync()
        #expect(reported.status == 1, "\(reported.out)\(reported.err)")
        #expect(reported.out.contains("\(folders.path("pics"))/b.jpg: gone from the album on Imgur since the last sync; the file is kept (sync --push uploads it again)"))
        #expect(FileManager.default.fileExists(atPath: folders.path("pics/b.jpg")))
        let pushed = try await folders.sync(["--push"])
        #expect(pushed.status == 1, "the run still reports what it found: \(pushed.out)")
        #expect(try folders.contents(of: "pics") == [a, b].map(folders.sha))
        #expect(try await folders.sync().status == 0, "in step again")

        // The whole album deleted on Imgur: reported; --push makes a new one.
        try await FakeRequests.delete("/3/album/\(album.deletehash)", on: folders.imgur)
        let gone = try await folders.sync()
        #expect(gone.status == 1)
        #expect(gone.out.contains("the album was deleted on Imgur; the files here are kept (sync --push makes a new album of them)"))
        #expect(try await folders.sync(["--push"]).status == 1)
        let replacement = try #require(try folders.album(of: "pics"))
        #expect(replacement.id != album.id)
        #expect(try folders.contents(of: "pics") == [a, b].map(folders.sha))
    }

    @Test func aDryRunPrintsEachOperationAndSendsNoWriteRequest() async throws {
        let folders = try Folders()
        try folders.put("pics/a.jpg", seed: "a")
        try folders.put("pics/b.jpg", seed: "b")
        try folders.list("pics\n")
        let dry = try await folders.sync(["--dry-run"])
        #expect(dry.status == 0, "\(dry.out)\(dry.err)")
        #expect(dry.out.contains("would upload     \(folders.path("pics"))/a.jpg  new\n"))
        #expect(dry.out.contains("would create     \(folders.path("pics"))  a new hidden album\n"))
        #expect(dry.out.hasSuffix("dry run: 3 operations in 1 folder; nothing was changed\n"), "\(dry.out)")
        #expect(folders.writes.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folders.path("sync-state.json")))
        #expect(try await folders.sync().status == 0)
        try folders.remove("pics/a.jpg")
        let before = folders.writes.count
        let dryDelete = try await folders.sync(["--dry-run", "--delete"])
        #expect(dryDelete.out.contains("would delete     \(folders.path("pics"))/a.jpg  deleted here: "), "\(dryDelete.out)")
        #expect(folders.writes.count == before)
    }

    /// kill -9 while an upload is in flight (stored by Imgur, its answer never sent), at the first
    /// and at a later upload; the next sync finishes with every file on Imgur exactly once.
    @Test(arguments: [1, 3])
    func aSyncKilledMidUploadFinishesWithEachFileOnce(stalled: Int) async throws {
        let (harness, environment) = try WriteSideTests.loggedIn()
        let folders = try Folders(harness, environment: environment)
        var contents: [Data] = []
        for index in 1...4 { contents.append(try folders.put("pics/\(index).jpg", seed: "file \(index)")) }
        try folders.list("pics\n")
        folders.imgur.injectAfterStoring(.stall, on: .upload(number: stalled))
        let running = try BinaryRunner.start(["sync", "-j", "1"], environment: folders.environment, directory: harness.directory)
        let pid = running.pid
        let imgur = folders.imgur
        #expect(await whenTrue({ imgur.uploads.count >= stalled }) { kill(pid, SIGKILL) })
        #expect(await running.finish().status == SIGKILL)

        // A dry run says what finishing the cut-short job would do, and sends nothing.
        let posts = imgur.requests("/3/").filter { $0.method != "GET" }.count
        let dry = try await folders.sync(["--dry-run"])
        #expect(dry.status == 0, "\(dry.out)\(dry.err)")
        #expect(dry.out.contains("uncertain        \(folders.path("pics"))/\(stalled).jpg  job "), "\(dry.out)")
        #expect(dry.out.contains("would upload     \(folders.path("pics"))/4.jpg  job "), "\(dry.out)")
        #expect(imgur.requests("/3/").filter { $0.method != "GET" }.count == posts)

        var next = try await folders.sync()
        if next.status == 75 { next = try await folders.sync() }
        #expect(next.status == 0, "\(next.out)\(next.err)")
        for data in contents { #expect(imgur.uploadCount(sha256: folders.sha(data)) == 1) }
        #expect(try folders.contents(of: "pics") == contents.map(folders.sha))
        #expect(imgur.albumRecords.count == 1)
        #expect(try await folders.sync().out == "done: nothing to do in 1 folder\n")
    }

    @Test func aMissingFolderIsNeverTakenForAnEmptiedOne() async throws {
        let folders = try Folders()
        try folders.put("disk/a.jpg", seed: "a")
        try folders.list("disk\n")
        #expect(try await folders.sync().status == 0)
        try FileManager.default.moveItem(atPath: folders.path("disk"), toPath: folders.path("unmounted"))
        let run = try await folders.sync(["--delete"])
        #expect(run.status == 1)
        #expect(run.out.contains("the folder is missing or not a folder: nothing done for it"))
        #expect(folders.imgur.deletions.isEmpty)
    }

    /// An unmounted disk leaves an empty mount point; a folder that cannot be read hides its files:
    /// neither is ever taken for every file deleted, with or without --delete.
    @Test func anEmptiedOrUnreadableFolderDeletesNothing() async throws {
        let folders = try Folders()
        try folders.put("disk/a.jpg", seed: "a")
        try folders.put("disk/sub/b.jpg", seed: "b")
        try folders.list("disk\n")
        #expect(try await folders.sync().status == 0)
        let album = try #require(try folders.album(of: "disk"))
        try FileManager.default.moveItem(atPath: folders.path("disk"), toPath: folders.path("elsewhere"))
        try FileManager.default.createDirectory(atPath: folders.path("disk"), withIntermediateDirectories: true)
        let empty = try await folders.sync(["--delete"])
        #expect(empty.status == 1)
        #expect(empty.out.contains("the folder is empty, but 2 file(s) were synced from it: nothing done for it"), "\(empty.out)")
        #expect(folders.imgur.deletions.isEmpty)
        #expect(try folders.album(of: "disk")?.imageIDs == album.imageIDs)
    }

    /// sync.txt: a folder with spaces in its name is that folder (not a folder and an album), a
    /// `#` inside a name is not a comment, and nested folders are refused.
    @Test func syncTxtTakesFoldersWithSpacesAndRefusesNesting() async throws {
        let folders = try Folders()
        try folders.put("Holiday Photos/a.jpg", seed: "a")
        try folders.put("My #2 pics/b.jpg", seed: "b")
        try folders.list("# comment\nHoliday Photos\nMy #2 pics\n")
        let run = try await folders.sync()
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(try folders.album(of: "Holiday Photos")?.title == "Holiday Photos")
        #expect(try folders.album(of: "My #2 pics") != nil)
        try folders.list("Holiday Photos\nHoliday Photos/inner\n")
        let nested = try await folders.sync()
        #expect(nested.status == 64)
        #expect(nested.err.contains("nest: a file would be in two albums"), "\(nested.err)")
    }

    /// Two names swapped, and a rename over an existing file: renames, not uploads.
    @Test func aSwapOfTwoNamesIsTwoRenamesAndNoUpload() async throws {
        let folders = try Folders()
        let a = try folders.put("pics/a.jpg", seed: "a")
        let b = try folders.put("pics/b.jpg", seed: "b")
        try folders.list("pics\n")
        #expect(try await folders.sync().status == 0)
        try folders.move("pics/a.jpg", "pics/tmp.jpg")
        try folders.move("pics/b.jpg", "pics/a.jpg")
        try folders.move("pics/tmp.jpg", "pics/b.jpg")
        let swapped = try await folders.sync()
        #expect(swapped.status == 0, "\(swapped.out)\(swapped.err)")
        #expect(folders.imgur.uploads.count == 2, "nothing uploaded again")
        #expect(try folders.contents(of: "pics") == [b, a].map(folders.sha))
        #expect(try await folders.sync().out == "done: nothing to do in 1 folder\n")
    }

    /// A folder paired with an album that was deleted: --push makes one new album, once; later
    /// syncs keep it and upload nothing more.
    @Test func aPushedReplacementOfAPairedAlbumIsKept() async throws {
        let folders = try Folders()
        try folders.put("pics/a.jpg", seed: "a")
        try folders.list("pics\n")
        #expect(try await folders.sync().status == 0)
        let first = try #require(try folders.album(of: "pics"))
        try folders.list("pics  \(first.id)\n")
        #expect(try await folders.sync().status == 0, "paired with the album it already has")
        try await FakeRequests.delete("/3/album/\(first.deletehash)", on: folders.imgur)
        #expect(try await folders.sync(["--push"]).status == 1)
        let replacement = try #require(try folders.album(of: "pics"))
        #expect(replacement.id != first.id)
        let uploads = folders.imgur.uploads.count
        let later = try await folders.sync(["--push"])
        #expect(later.status == 0, "\(later.out)\(later.err)")
        #expect(folders.imgur.uploads.count == uploads)
        #expect(try folders.album(of: "pics")?.id == replacement.id)
    }

    /// 10,000 files already in step: the sync reads no file (size and mtime match the state) and
    /// asks Imgur one thing, the album's listing. The time it took is printed (not asserted).
    @Test func aNoOpSyncOf10000FilesListsTheAlbumOnceAndReadsNoFile() async throws {
        let folders = try Folders()
        let count = 10_000
        let folder = (folders.path("many") as NSString).standardizingPath
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var media: [FakeMedia] = []
        var records: [SyncRecord] = []
        for index in 0..<count {
            let name = String(format: "%05d.png", index)
            let data = FakeMedia.bytes(ext: "png", size: 64, seed: "n\(index)")
            try data.write(to: URL(fileURLWithPath: "\(folder)/\(name)"))
            media.append(FakeMedia(id: String(format: "M%06d", index), ext: "png", data: data))
        }
        let album = folders.imgur.seedAlbum(FakeAlbum(id: "ManyAlb", media: media), owner: "nobody")
        for (index, id) in album.imageIDs.enumerated() {
            let name = String(format: "%05d.png", index)
            var info = stat()
            lstat("\(folder)/\(name)", &info)
            let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            records.append(
                .file(
                    SyncState.File(
                        folder: folder, path: name, size: Int64(info.st_size), mtime: mtime, sha256: folders.sha(media[index].data),
                        state: .synced, imgurID: id, deletehash: folders.imgur.upload(id)?.deletehash, link: nil)))
        }
        var folderRecord = SyncState.Folder(path: folder)
        folderRecord.album = album.id
        folderRecord.deletehash = album.deletehash
        records.append(.folder(folderRecord))
        var text = "{\n"
        for (index, record) in records.enumerated() {
            text += (index == 0 ? "" : ",\n") + "\"\(record.logKey)\": " + String(decoding: record.json.serialized(.compact), as: UTF8.self)
        }
        text += "\n}\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: folders.path("sync-state.json")))
        try folders.list("many\n")

        let before = folders.imgur.requests("/3/").count
        let start = ContinuousClock.now
        let run = try await folders.sync()
        let elapsed = ContinuousClock.now - start
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(run.out == "done: nothing to do in 1 folder\n")
        let sent = folders.imgur.requests("/3/").dropFirst(before).map { "\($0.method) \($0.path)" }
        #expect(sent == ["GET /3/album/ManyAlb"])
        print("no-op sync of \(count) files (\(BinaryRunner.executable)): \(elapsed)")
    }
}

/// Requests a test sends to the fake itself, as someone else acting on Imgur would.
enum FakeRequests {
    static func delete(_ path: String, on imgur: FakeImgur) async throws {
        let (status, _) = try await WriteSideTests.request(
            "DELETE", imgur.apiBase + path, headers: ["Authorization": "Client-ID \(FakeImgur.clientID)"])
        #expect(status == 200)
    }
}
