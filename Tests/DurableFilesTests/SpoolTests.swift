import Foundation
import TestSupport
import Testing

@testable import DurableFiles

/// `Spool`: records written once and read back in order from a file with no name.
@Suite struct SpoolTests {
    @Test func linesComeBackInOrderAndNothingIsLeftInTheFolder() throws {
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let folder = try Directory.open(path)
        let spool = try Spool(in: folder)
        // Lines of every length around the buffers' sizes, one longer than both.
        let lengths = [0, 1, 65_535, 65_536, 65_537, 1 << 20, (1 << 20) + 3, 3 << 20, 5]
        for (index, length) in lengths.enumerated() {
            try spool.appendLine([UInt8](repeating: UInt8(ascii: "a") + UInt8(index), count: length))
        }
        #expect(folder.names().isEmpty)
        #expect(spool.lineCount == lengths.count)
        // Read twice: each reader starts at the beginning.
        for _ in 0..<2 {
            var lines = try spool.lines()
            var got: [Data] = []
            while let line = try lines.next() { got.append(line) }
            #expect(got.map(\.count) == lengths)
            #expect(zip(got, lengths.indices).allSatisfy { line, index in line.allSatisfy { $0 == UInt8(ascii: "a") + UInt8(index) } })
        }
        #expect(spool.byteCount == Int64(lengths.reduce(0, +) + lengths.count))
    }

    @Test func aLineOverTheLimitIsAnErrorNotAnAllocation() throws {
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spool = try Spool(in: try Directory.open(path))
        try spool.appendLine([UInt8](repeating: 0x41, count: 300_000))
        var lines = try spool.lines(maxLength: 100_000)
        #expect(throws: FileError.self) { _ = try lines.next() }
    }

    /// Appending after a reader was made does not disturb it: it reads what was there.
    @Test func aReaderSeesWhatWasWrittenBeforeIt() throws {
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spool = try Spool(in: try Directory.open(path))
        try spool.appendLine(Array("one".utf8))
        var lines = try spool.lines()
        try spool.appendLine(Array("two".utf8))
        #expect(try lines.next() == Data("one".utf8))
        #expect(try lines.next() == nil)
    }

    /// The sorter's runs are unnamed files: a sort of many runs leaves the scratch folder empty,
    /// during and after.
    @Test func sortRunsLeaveNoFiles() throws {
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let scratch = try Directory.open(path)
        let sorter = ExternalSorter(scratch: scratch, memoryBudget: 256, fanIn: 2)
        for record in ExternalSorterTests.records(500) { try sorter.add(record) }
        #expect(sorter.runCount > 2)
        #expect(scratch.names().isEmpty)
        var count = 0
        try sorter.forEachSorted { (_) -> Bool in
            count += 1
            return true
        }
        #expect(count == 500)
        #expect(scratch.names().isEmpty)
    }
}
