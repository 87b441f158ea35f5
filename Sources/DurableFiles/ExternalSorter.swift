import Foundation

/// Sorts more records than memory should hold (a merge of catalogs with millions of entries,
/// docs/scale-out.md, "Merging"). Records are gathered in a batch of at most `memoryBudget` bytes;
/// a full batch is sorted and written as a run into `scratch`; `fanIn` runs of one level are merged
/// into a run of the next as soon as they exist, and at the end the few runs left are merged, each
/// through one read buffer. Memory is one batch plus a buffer per run left (fewer than `fanIn` per
/// level), whatever the number of records.
///
/// Runs are unnamed files of the caller's scratch folder (`Directory.createUnnamed`): nothing is
/// left there however the process ends.
public final class ExternalSorter {
    /// One record, ordered by `key` (bytes compared unsigned, shorter first on a common prefix).
    /// Keys should be distinct: the order of equal keys is not defined.
    public struct Record: Sendable {
        public var key: [UInt8]
        public var value: [UInt8]

        public init(key: [UInt8], value: [UInt8]) {
            self.key = key
            self.value = value
        }
    }

    private let scratch: Directory
    private let memoryBudget: Int
    private let fanIn: Int
    private var batch: [Record] = []
    private var batchBytes = 0
    private var runs: [OpenFile] = []
    /// How many merges made each run (0: written from a batch).
    private var runLevels: [Int] = []
    private var runsMade = 0

    public init(scratch: Directory, memoryBudget: Int = 4 << 20, fanIn: Int = 32) {
        self.scratch = scratch
        self.memoryBudget = max(1, memoryBudget)
        self.fanIn = max(2, fanIn)
    }

    /// How many runs were written so far (0: everything fitted in memory).
    public var runCount: Int { runsMade }

    public func add(_ record: Record) throws(FileError) {
        batch.append(record)
        // 64: what two arrays and their headers cost besides their bytes.
        batchBytes += record.key.count + record.value.count + 64
        if batchBytes >= memoryBudget { try spill() }
    }

    /// Calls `body` with every record added, in key order; `body` returns false to stop early.
    /// The sorter is empty afterwards.
    public func forEachSorted<Failure: Error>(_ body: (Record) throws(Failure) -> Bool) throws {
        if runs.isEmpty {
            let sorted = batch.sorted { Self.less($0.key, $1.key) }
            batch = []
            batchBytes = 0
            for record in sorted where !(try body(record)) { break }
            return
        }
        try spill()
        defer { (runs, runLevels) = ([], []) }
        try merge(runs, body)
    }

    /// Sorts the batch and writes it as a run.
    private func spill() throws(FileError) {
        guard !batch.isEmpty else { return }
        batch.sort { Self.less($0.key, $1.key) }
        let run = try newRun()
        var output = RunWriter(file: run)
        for record in batch { try output.append(record) }
        try output.flush()
        runs.append(run)
        batch = []
        batchBytes = 0
        // Each run holds a descriptor until it is merged. Runs are merged by level, as soon as
        // `fanIn` runs of a level exist, into one run of the next: few descriptors are open
        // (fewer than `fanIn` per level), and each record is rewritten once per level.
        runLevels.append(0)
        var level = 0
        while runLevels.filter({ $0 == level }).count >= fanIn {
            let group = runs.indices.filter { runLevels[$0] == level }
            let merged = try newRun()
            var output = RunWriter(file: merged)
            do {
                try merge(group.map { runs[$0] }) { (record) throws(FileError) in
                    try output.append(record)
                    return true
                }
            } catch let error as FileError {
                throw error
            } catch {
                throw .write(path: merged.path, reason: "\(error)")
            }
            try output.flush()
            // The merged run takes the place of the group's first: runs stay in the order made.
            let kept = Set(group.dropFirst())
            runs[group[0]] = merged
            runLevels[group[0]] = level + 1
            runs = runs.indices.filter { !kept.contains($0) }.map { runs[$0] }
            runLevels = runLevels.indices.filter { !kept.contains($0) }.map { runLevels[$0] }
            level += 1
        }
    }

    /// An unnamed file of the scratch folder: gone once closed, or with the process.
    private func newRun() throws(FileError) -> OpenFile {
        runsMade += 1
        return try scratch.createUnnamed()
    }

    /// The records of `files` in key order (a k-way merge through a small heap).
    private func merge<Failure: Error>(_ files: [OpenFile], _ body: (Record) throws(Failure) -> Bool) throws {
        var readers = files.map { RunReader(file: $0, path: $0.path) }
        var heap = Heap()
        for (index, _) in readers.enumerated() {
            if let record = try readers[index].next() { heap.push(record, index) }
        }
        while let (record, index) = heap.pop() {
            guard try body(record) else { return }
            if let next = try readers[index].next() { heap.push(next, index) }
        }
    }

    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
    }

    /// A min-heap of the current record of each run, ties broken by run (earlier first).
    private struct Heap {
        private var items: [(Record, Int)] = []

        private func before(_ a: Int, _ b: Int) -> Bool {
            let (x, i) = items[a]
            let (y, j) = items[b]
            if ExternalSorter.less(x.key, y.key) { return true }
            if ExternalSorter.less(y.key, x.key) { return false }
            return i < j
        }

        mutating func push(_ record: Record, _ run: Int) {
            items.append((record, run))
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard before(child, parent) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> (Record, Int)? {
            guard !items.isEmpty else { return nil }
            items.swapAt(0, items.count - 1)
            let top = items.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, before(left, smallest) { smallest = left }
                if right < items.count, before(right, smallest) { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
            return top
        }
    }
}

/// A run file: each record as its key's length and value's length (4 bytes each, little endian),
/// then the key, then the value.
private struct RunWriter {
    let file: OpenFile
    var buffer = Data()

    init(file: OpenFile) {
        self.file = file
        buffer.reserveCapacity(1 << 20)
    }

    mutating func append(_ record: ExternalSorter.Record) throws(FileError) {
        for length in [record.key.count, record.value.count] {
            withUnsafeBytes(of: UInt32(length).littleEndian) { buffer.append(contentsOf: $0) }
        }
        buffer.append(contentsOf: record.key)
        buffer.append(contentsOf: record.value)
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws(FileError) {
        guard !buffer.isEmpty else { return }
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Reads a run back record by record through a 64 KiB buffer.
private struct RunReader {
    let file: OpenFile
    let path: String
    private var buffer = [UInt8]()
    private var position = 0
    private var offset: Int64 = 0

    init(file: OpenFile, path: String) {
        self.file = file
        self.path = path
    }

    mutating func next() throws(FileError) -> ExternalSorter.Record? {
        guard let header = try take(8) else { return nil }
        let keyLength = Int(header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) })
        let valueLength = Int(header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) })
        guard let key = try take(keyLength), let value = try take(valueLength) else {
            throw .read(path: path, reason: "a sort run ends inside a record")
        }
        return ExternalSorter.Record(key: key, value: value)
    }

    /// The next `count` bytes; nil at the end of the file.
    private mutating func take(_ count: Int) throws(FileError) -> [UInt8]? {
        if count == 0 { return [] }
        if buffer.count - position < count {
            let chunk = try file.read(from: offset, count: max(64 << 10, count))
            offset += Int64(chunk.count)
            buffer = Array(buffer[position...]) + chunk
            position = 0
            if buffer.count < count { return nil }
        }
        defer { position += count }
        return Array(buffer[position..<position + count])
    }
}
