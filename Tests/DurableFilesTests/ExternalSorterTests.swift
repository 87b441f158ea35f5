import Foundation
import TestSupport
import Testing

@testable import DurableFiles

/// `ExternalSorter`: records in key order through runs on disk, memory bounded by its budget.
@Suite struct ExternalSorterTests {
    /// Distinct keys in a scrambled order, each value naming its key.
    static func records(_ count: Int) -> [ExternalSorter.Record] {
        (0..<count).map { index in
            let number = (index &* 7_919) % count
            let key = Array("k\(number)".utf8)
            return ExternalSorter.Record(key: key, value: Array("value of k\(number) ".utf8) + [UInt8](repeating: 0xFF, count: number % 5))
        }
    }

    static func sortedByBytes(_ records: [ExternalSorter.Record]) -> [[UInt8]] {
        records.map(\.key).sorted { ExternalSorter.less($0, $1) }
    }

    @Test(arguments: [(1 << 30, 32), (512, 32), (512, 2), (64, 3)])
    func everyRecordComesOutOnceInKeyOrder(budget: Int, fanIn: Int) throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scratch = try Directory.open(folder)
        let sorter = ExternalSorter(scratch: scratch, memoryBudget: budget, fanIn: fanIn)
        let input = Self.records(1_000)
        for record in input { try sorter.add(record) }
        var output: [ExternalSorter.Record] = []
        try sorter.forEachSorted { (record) -> Bool in
            output.append(record)
            return true
        }
        #expect(output.map(\.key) == Self.sortedByBytes(input))
        for record in output {
            let number = Int(String(decoding: record.key.dropFirst(), as: UTF8.self))!
            #expect(record.value == Array("value of k\(number) ".utf8) + [UInt8](repeating: 0xFF, count: number % 5))
        }
        #expect(budget > 1 << 20 ? sorter.runCount == 0 : sorter.runCount > 1, "runs: \(sorter.runCount)")
        #expect(scratch.names().isEmpty, "every run is removed once merged: \(scratch.names())")
    }

    @Test func aShorterKeySortsBeforeTheLongerOneItBegins() {
        #expect(ExternalSorter.less(Array("ab".utf8), Array("ab\u{0}".utf8)))
        #expect(ExternalSorter.less(Array("ab\u{0}\u{9}".utf8), Array("abc".utf8)))
        #expect(!ExternalSorter.less(Array("b".utf8), Array("ab".utf8)))
        #expect(ExternalSorter.less([], [0]))
        #expect(ExternalSorter.less([0x7F], [0x80]), "bytes compare unsigned")
    }

    @Test func stoppingEarlyStillRemovesTheRuns() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scratch = try Directory.open(folder)
        let sorter = ExternalSorter(scratch: scratch, memoryBudget: 256, fanIn: 4)
        for record in Self.records(300) { try sorter.add(record) }
        var seen = 0
        try sorter.forEachSorted { (_) -> Bool in
            seen += 1
            return seen < 10
        }
        #expect(seen == 10)
        #expect(scratch.names().isEmpty, "\(scratch.names())")
    }
}
