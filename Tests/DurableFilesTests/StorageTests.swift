import Foundation
import TestSupport
import Testing

@testable import DurableFiles
@testable import ExactJSON

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `FileSystem.writeAtomically` and friends, and `RunLock`.
@Suite struct StorageTests {
    static let isRoot = getuid() == 0

    final class Folder {
        let path: String

        init() throws {
            path = (NSTemporaryDirectory() as NSString).appendingPathComponent("storage-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        func names(_ relative: String = "") -> [String] {
            let folder = relative.isEmpty ? path : "\(path)/\(relative)"
            return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        }

        func contents(_ name: String) -> String? {
            FileManager.default.contents(atPath: "\(path)/\(name)").map { String(decoding: $0, as: UTF8.self) }
        }

        func remove() {
            chmod(path, 0o755)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    static func error(_ body: () throws(FileError) -> Void) -> FileError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    /// The `FileError` an untyped throwing call ends with.
    static func failure(_ body: () throws -> Void) -> FileError? {
        do {
            try body()
            return nil
        } catch {
            return error as? FileError
        }
    }

    // MARK: - writeAtomically

    @Test func writesANewFileAndLeavesNoTemporaryFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let target = "\(folder.path)/metadata.json"
        try FileSystem.writeAtomically(Data("{\"a\": 1}\n".utf8), to: target)
        #expect(folder.contents("metadata.json") == "{\"a\": 1}\n")
        #expect(folder.names() == ["metadata.json"])
    }

    @Test func replacesTheContentAsANewFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let target = "\(folder.path)/script.json"
        try FileSystem.writeAtomically(Data(String(repeating: "old content ", count: 1000).utf8), to: target)
        let before = Self.inode(target)
        try FileSystem.writeAtomically(Data("new".utf8), to: target)
        #expect(folder.contents("script.json") == "new")
        #expect(folder.names() == ["script.json"])
        // Renamed over, not rewritten in place: a reader of the old file never sees a mix.
        #expect(Self.inode(target) != before)
        try FileSystem.writeAtomically(Data(), to: target)
        #expect(folder.contents("script.json") == "")
        #expect(folder.names() == ["script.json"])
    }

    @Test func manyWritesLeaveOneFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let target = "\(folder.path)/a.json"
        for number in 0..<10 { try FileSystem.writeAtomically(Data("\(number)".utf8), to: target) }
        #expect(folder.contents("a.json") == "9")
        #expect(folder.names() == ["a.json"])
    }

    @Test func failsInAMissingFolder() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let target = "\(folder.path)/missing/metadata.json"
        let failure = try #require(Self.error { () throws(FileError) in try FileSystem.writeAtomically(Data("x".utf8), to: target) })
        guard case .write(let path, let reason) = failure else {
            Issue.record("expected .write, got \(failure)")
            return
        }
        #expect(reason == "No such file or directory")
        // The message names the file being written, not its temporary name.
        #expect(path == target)
        #expect(failure.description == "cannot write \(target): No such file or directory")
        #expect(folder.names() == [])
    }

    @Test(.enabled(if: !isRoot, "root ignores permissions"))
    func failsInAReadOnlyFolder() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try FileSystem.writeAtomically(Data("old".utf8), to: "\(folder.path)/kept.json")
        #expect(chmod(folder.path, 0o555) == 0)
        let target = "\(folder.path)/kept.json"
        let failure = try #require(Self.error { () throws(FileError) in try FileSystem.writeAtomically(Data("new".utf8), to: target) })
        guard case .write(let path, let reason) = failure else {
            Issue.record("expected .write, got \(failure)")
            return
        }
        #expect(reason == "Permission denied")
        #expect(path.hasPrefix("\(folder.path)/.kept.json.tmp-"))
        #expect(folder.contents("kept.json") == "old")
        #expect(folder.names() == ["kept.json"])
    }

    @Test func failsOverAFolderAndRemovesItsTemporaryFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let target = "\(folder.path)/taken"
        try FileManager.default.createDirectory(atPath: "\(target)/inside", withIntermediateDirectories: true)
        #expect(
            Self.error { () throws(FileError) in try FileSystem.writeAtomically(Data("x".utf8), to: target) }
                == .write(path: target, reason: "Is a directory"))
        #expect(folder.names() == ["taken"])
        #expect(folder.names("taken") == ["inside"])
    }

    // MARK: - Other file operations

    @Test func readHonoursItsLimit() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let path = "\(folder.path)/big"
        try Data(repeating: 0x41, count: 200_000).write(to: URL(fileURLWithPath: path))
        #expect(try FileSystem.read(path).count == 200_000)
        #expect(try FileSystem.read(path, limit: 200_000).count == 200_000)
        #expect(
            Self.error { () throws(FileError) in _ = try FileSystem.read(path, limit: 100_000) }
                == .read(path: path, reason: "larger than 100000 bytes"))
        #expect(
            Self.error { () throws(FileError) in _ = try FileSystem.read("\(folder.path)/none") }
                == .read(path: "\(folder.path)/none", reason: "No such file or directory"))
    }

    @Test func fileSizeAndDirectories() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let file = "\(folder.path)/f"
        try Data(repeating: 0, count: 1234).write(to: URL(fileURLWithPath: file))
        #expect(FileSystem.fileSize(file) == 1234)
        #expect(FileSystem.fileSize(folder.path) == nil)
        #expect(FileSystem.fileSize("\(folder.path)/none") == nil)
        #expect(FileSystem.exists(file))
        #expect(!FileSystem.exists("\(folder.path)/none"))

        let top = try Directory.open(folder.path)
        let sub = "\(folder.path)/sub"
        _ = try top.subdirectory("sub", create: true)
        _ = try top.subdirectory("sub", create: true)  // already there: fine
        #expect(FileSystem.isDirectory(sub))
        #expect(
            Self.error { () throws(FileError) in _ = try top.subdirectory("f", create: true) }
                == .unsafe(path: file, reason: "is not a folder"))
        #expect(
            Self.error { () throws(FileError) in _ = try top.subdirectory("none") }
                == .read(path: "\(folder.path)/none", reason: "No such file or directory"))
        #expect(top.names() == ["f", "sub"])
    }

    // MARK: - RunLock

    @Test func aSecondLockInTheSameProcessConflictsUntilTheFirstIsReleased() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let path = "\(folder.path)/.imgur-archive.lock"
        let directory = try Directory.open(folder.path)
        var first: RunLock? = try RunLock.acquire(directory, wait: false)
        #expect(folder.contents(".imgur-archive.lock") == "\(getpid())\n")

        withExtendedLifetime(first) {
            // flock belongs to the open file description: a new descriptor conflicts even here.
            let failure = Self.failure { _ = try RunLock.acquire(Directory.open(folder.path), wait: false) }
            #expect(failure == .locked(path: folder.path, pid: getpid()))
            #expect(
                failure?.description
                    == "another imgur-archive run (pid \(getpid())) is using \(folder.path); try again when it has finished, or pass --wait")
            // The failed attempt did not touch the holder's pid.
            #expect(folder.contents(".imgur-archive.lock") == "\(getpid())\n")
        }

        first = nil  // deinit closes the descriptor: the kernel drops the lock
        let again = try RunLock.acquire(directory, wait: false)
        withExtendedLifetime(again) {
            #expect(again.path == folder.path)
            #expect(folder.contents(".imgur-archive.lock") == "\(getpid())\n")
            #expect(
                Self.failure { _ = try RunLock.acquire(directory, wait: false) }
                    == .locked(path: folder.path, pid: getpid()))
        }
        #expect(first == nil)
    }

    @Test func aStalePidIsReplaced() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let path = "\(folder.path)/.imgur-archive.lock"
        try Data("4194303\nand more text that was here before\n".utf8).write(to: URL(fileURLWithPath: path))
        let lock = try RunLock.acquire(Directory.open(folder.path), wait: false)
        withExtendedLifetime(lock) {
            #expect(folder.contents(".imgur-archive.lock") == "\(getpid())\n")
        }
    }

    @Test func aHolderWithoutAPidIsReportedWithoutOne() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let path = "\(folder.path)/.imgur-archive.lock"
        let lock = try RunLock.acquire(Directory.open(folder.path), wait: false)
        withExtendedLifetime(lock) {
            #expect(truncate(path, 0) == 0)  // the same inode, now without a pid
            let failure = Self.failure { _ = try RunLock.acquire(Directory.open(folder.path), wait: false) }
            #expect(failure == .locked(path: folder.path, pid: nil))
            #expect(
                failure?.description
                    == "another imgur-archive run is using \(folder.path); try again when it has finished, or pass --wait")
        }
    }

    @Test func theLockHoldsWhateverHappensToThePidFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let outside = "\(folder.path)-outside"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: outside))
        defer { unlink(outside) }
        var lock: RunLock? = try RunLock.acquire(Directory.open(folder.path), wait: false)
        withExtendedLifetime(lock) {
            // Deleted, or replaced by a symlink to a file elsewhere: the lock is on the folder.
            unlink("\(folder.path)/.imgur-archive.lock")
            #expect(Self.failure { _ = try RunLock.acquire(Directory.open(folder.path), wait: false) } == .locked(path: folder.path, pid: nil))
            #expect(symlink(outside, "\(folder.path)/.imgur-archive.lock") == 0)
            #expect(Self.failure { _ = try RunLock.acquire(Directory.open(folder.path), wait: false) } == .locked(path: folder.path, pid: nil))
        }
        lock = nil
        // The next holder does not write its pid through the symlink.
        let next = try RunLock.acquire(Directory.open(folder.path), wait: false)
        withExtendedLifetime(next) {
            #expect(FileManager.default.contents(atPath: outside) == Data("keep me\n".utf8))
        }
    }

    @Test func readersShareTheLockAndAWriterWaitsForThem() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let reader = try RunLock.acquire(Directory.open(folder.path), shared: true, wait: false)
        let second = try RunLock.acquire(Directory.open(folder.path), shared: true, wait: false)
        withExtendedLifetime((reader, second)) {
            #expect(Self.failure { _ = try RunLock.acquire(Directory.open(folder.path), wait: false) } != nil)
        }
    }

    @Test func aReadOnlyFolderCanBeLockedForReading() throws {
        guard getuid() != 0 else { return }  // root writes anywhere: nothing to show
        let folder = try Folder()
        defer {
            chmod(folder.path, 0o755)
            folder.remove()
        }
        chmod(folder.path, 0o555)
        let lock = try RunLock.acquire(Directory.open(folder.path), shared: true, wait: false)
        withExtendedLifetime(lock) {}
    }

    @Test func aWaiterStopsWhenAskedTo() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let holder = try RunLock.acquire(Directory.open(folder.path), wait: false)
        try withExtendedLifetime(holder) {
            var asked = 0
            #expect(throws: CancellationError.self) {
                _ = try RunLock.acquire(
                    Directory.open(folder.path), wait: true, shouldStop: {
                        asked += 1
                        return asked > 2
                    })
            }
            #expect(asked == 3)
        }
    }

    @Test func waitingIsNotNeededWhenTheLockIsFree() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let path = "\(folder.path)/.imgur-archive.lock"
        var waited = false
        let lock = try RunLock.acquire(Directory.open(folder.path), wait: true, onWait: { waited = true })
        withExtendedLifetime(lock) {
            #expect(!waited)
            #expect(folder.contents(".imgur-archive.lock") == "\(getpid())\n")
        }
    }
}

/// `BlockingIO` runs at most `width` calls at once, however many are asked for.
@Suite struct BlockingIOTests {
    @Test func atMostWidthCallsRunAtOnce() async throws {
        let gauge = Locked((now: 0, peak: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<(BlockingIO.width * 3) {
                group.addTask {
                    try await BlockingIO.run {
                        gauge.withLock {
                            $0.now += 1
                            $0.peak = max($0.peak, $0.now)
                        }
                        usleep(20_000)
                        gauge.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(gauge.current.peak <= BlockingIO.width)
        #expect(gauge.current.now == 0)
    }
}
