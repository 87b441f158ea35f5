import ExactJSON
import Foundation

/// A record that an `AppendLog` holds: a JSON object filed under a key.
public protocol AppendLogRecord: Sendable {
    /// What the log remembers of every key while it is open, without keeping the records (for the
    /// catalog: each album's status and kind). Read back from a line with `summary(ofObject:)`.
    associatedtype Summary: Sendable

    /// The key the record is filed under; `isValidKey` holds for it.
    var logKey: String { get }
    /// The record, written compact on one line.
    var json: JSONValue { get }
    var summary: Summary { get }

    /// What the log is called in messages ("catalog").
    static var logName: String { get }
    /// Whether `key` may file a record in this log (the catalog: an Imgur id).
    static func isValidKey(_ key: String) -> Bool
    /// The summary of a record read from the file: `object` holds one JSON object, whose members
    /// `JSONSyntax.stringMembers` reads without building the object.
    static func summary(ofObject object: UnsafeBufferPointer<UInt8>) -> Summary
    /// Files the summary of the entry `key` (its value in `object`) while a log is read. The
    /// default does `summaries[key] = summary(ofObject: object)`; a record type whose log grows
    /// large (the catalog) implements it in its own module, where the table's type is concrete
    /// and its code specialised (docs/performance.md, "Catalog").
    static func index(_ key: String, object: UnsafeBufferPointer<UInt8>, into summaries: inout [String: Summary])
}

extension AppendLogRecord {
    public static func index(_ key: String, object: UnsafeBufferPointer<UInt8>, into summaries: inout [String: Summary]) {
        summaries[key] = summary(ofObject: object)
    }
}

/// One JSON object keyed by record keys, kept one entry per line, so that adding a record costs the
/// same at 100,000 records as at 10, and any JSON parser reads the file whole.
///
/// ```
/// {
/// "AbCdE": {"archived_at":"…","id":"AbCdE",…},
/// "q6i58": {"archived_at":"…","id":"q6i58",…}
/// }
/// ```
/// Appending overwrites only the closing `\n}\n` with `,\n"KEY": {…}\n}\n` in one positioned write,
/// then flushes: earlier entries are never rewritten. A crash can at worst leave a torn last line,
/// which `open` cuts off (saving the cut bytes beside the log). Updating a record appends it again
/// (the last value wins, as in any JSON parser); `compact()` drops the older copies. The layout is
/// documented for the catalog in docs/archive-format.md ("scraping_logs.json").
public final class AppendLog<Record: AppendLogRecord> {
    /// The log's path, for messages; the file is only opened through `directory`.
    public let path: String
    private let directory: Directory
    private let name: String
    /// Every key of the log with the summary of its newest record (empty unless `indexed`).
    public private(set) var summaries: [String: Record.Summary] = [:]
    /// Whether the log keeps `summaries` (and counts duplicates): an unindexed log only appends,
    /// in memory flat in the number of records (`merge`, which finds keys by sorting).
    public let indexed: Bool
    /// Entries that repeat an earlier key (updates not yet compacted).
    public private(set) var duplicateCount = 0
    public private(set) var entryCount = 0
    /// What `open` had to repair, for the user; nil when nothing.
    public private(set) var repairNote: String?
    /// Where the closing `}` (empty log) or `\n}` (after the last entry) starts.
    private var closingOffset: Int64 = 2
    /// The file's length as this process left it: anything else means another writer.
    private var length: Int64 = 0
    private var file: OpenFile
    /// The mode of the file when this log creates or rewrites it (0600 for logs holding secrets).
    private var mode: mode_t = 0o644
    /// Set when an append failed: no later append is tried, so the file keeps the state the undo
    /// left it in (see `append`).
    private var failure: FileError?

    private init(directory: Directory, name: String, file: OpenFile, indexed: Bool) {
        self.indexed = indexed
        self.directory = directory
        self.name = name
        path = directory.path(name)
        self.file = file
    }

    /// Why a log cannot be opened safely: it is left exactly as it was.
    public struct Damage: Error, Equatable, Sendable {
        public let path: String
        public let line: Int
        public let reason: String
    }

    /// Opens the log, creating it when missing and repairing a torn tail.
    /// - Throws: `Damage` when the file is damaged anywhere but at its tail (the file is then left
    ///   exactly as it was), or `FileError`.
    ///   A second process that opens the same log while this one has it gets `FileError.locked`.
    /// - Parameter indexed: false to keep no summaries (`contains` and `summary` may then not be asked).
    public static func open(
        _ name: String, in directory: Directory, now: Date = Date(), mode: mode_t = 0o644, indexed: Bool = true
    ) throws -> AppendLog {
        let path = directory.path(name)
        if directory.isSymlink(name) {
            throw FileError.unsafe(path: path, reason: "is a symbolic link; refusing to follow it out of the storage directory")
        }
        if directory.fileSize(name) ?? 0 == 0 {
            // Missing, or empty (nothing in it to lose): start a new one.
            try directory.writeAtomically(Data("{\n}\n".utf8), to: name, mode: mode)
        }
        let file = try directory.openForAppending(name)
        try file.lockExclusively()
        var scan = try Scan.read(directory, name, indexed: indexed)
        if let problem = scan.problem, !scan.isTornTail || scan.problemLineHoldsMoreEntries {
            // Not what an interrupted append leaves (or, ending in a brace, maybe not). A valid
            // JSON object in another layout (the Python original's json.dump, jq, all entries on
            // one line) is converted; anything else that is not a torn tail is refused untouched.
            if try migrateForeignLayout(name, in: directory, now: now, mode: mode) {
                scan = try Scan.read(directory, name, indexed: indexed)
                if let problem = scan.problem {
                    throw Damage(path: path, line: problem.line, reason: problem.reason)
                }
            } else if !scan.isTornTail {
                throw Damage(path: path, line: problem.line, reason: problem.reason)
            }
        }
        // The migration renamed a new file into place: lock and append to that one.
        let log = AppendLog(directory: directory, name: name, file: try directory.isSameFile(file, as: name) ? file : {
            let replaced = try directory.openForAppending(name)
            try replaced.lockExclusively()
            return replaced
        }(), indexed: indexed)
        log.mode = mode
        log.summaries = scan.summaries
        log.entryCount = scan.entryCount
        log.duplicateCount = indexed ? scan.entryCount - scan.summaries.count : 0
        log.closingOffset = scan.lastEntryEnd ?? 2
        log.length = scan.length
        if scan.problem != nil || !scan.closed {
            try log.repairTail(fileLength: scan.length, problemLine: scan.problem?.line, now: now)
        }
        return log
    }

    public func contains(_ key: String) -> Bool {
        precondition(indexed, "an unindexed log knows no keys")
        return summaries[key] != nil
    }

    public func summary(_ key: String) -> Record.Summary? {
        precondition(indexed, "an unindexed log knows no keys")
        return summaries[key]
    }

    /// Adds (or, for a key already present, updates) one record, durably.
    ///
    /// A failed write (disk full, I/O error) is undone: the closing brace is put back where it was
    /// and the file cut after it, so the log stays what it was before. The undo only rewrites
    /// bytes that were already there, so it needs no free space. After a failure every later append
    /// fails at once: appending after a half-undone write could bury the damage under new lines.
    ///
    /// With `durable` false the line is written but not flushed (a bulk copy that can be redone,
    /// `merge`): a crash may then lose it, or leave a torn tail that the next `open` repairs;
    /// `sync()` makes everything written so far durable.
    /// - Parameter verbatim: the record's value exactly as another log of the same kind holds it
    ///   (one line, a JSON object: `merge` keeps members this version does not know), written
    ///   instead of `record.json`.
    public func append(_ record: Record, verbatim: [UInt8]? = nil, durable: Bool = true) throws(FileError) {
        if let failure { throw failure }
        // The lock keeps other imgur-archive runs out; this catches anything else that rewrote or
        // replaced the file since it was opened, before a line is written into the middle of it.
        guard file.size == length, (try? directory.isSameFile(file, as: name)) == true
        else {
            let error = FileError.write(path: path, reason: "changed by another process since it was opened; run again")
            failure = error
            throw error
        }
        var line = Data("\"\(record.logKey)\": ".utf8)
        if let verbatim, !verbatim.contains(UInt8(ascii: "\n")) { line.append(contentsOf: verbatim) } else { line.append(record.json.serialized(.compact)) }
        var bytes = Data(entryCount == 0 ? [] : Array(",\n".utf8))
        bytes.append(line)
        bytes.append(contentsOf: Array("\n}\n".utf8))
        do {
            try file.write(bytes, at: closingOffset)
            if durable { try file.sync() }
        } catch {
            failure = error
            // Best effort: if even the undo fails, the next run's `open` finds a torn last line.
            try? closeAfterLastEntry()
            throw error
        }
        length = closingOffset + Int64(bytes.count)
        closingOffset += Int64(bytes.count - 3)
        entryCount += 1
        if indexed, summaries.updateValue(record.summary, forKey: record.logKey) != nil { duplicateCount += 1 }
    }

    /// Makes every append so far durable.
    public func sync() throws(FileError) {
        if let failure { throw failure }
        try file.sync()
    }

    /// Writes the closing brace right after the last complete entry, cuts the file there, flushes.
    private func closeAfterLastEntry() throws(FileError) {
        let closing = Self.closing(afterEntries: entryCount)
        try file.write(closing, at: closingOffset)
        try file.truncate(to: closingOffset + Int64(closing.count))
        try file.sync()
        length = closingOffset + Int64(closing.count)
    }

    /// Closes the file (and so releases its lock); later appends fail.
    public func close() {
        failure = failure ?? .write(path: path, reason: "closed")
        try? file.close()
    }

    /// What ends the file: `}` alone in an empty log, else on its own line after the last entry.
    private static func closing(afterEntries count: Int) -> Data {
        Data((count == 0 ? "}\n" : "\n}\n").utf8)
    }

    /// Every record of the log at `path`, in file order, each key once (its newest value),
    /// streamed: memory holds the keys, not the records. Lines that are not entries are skipped.
    /// - Throws: `FileError.read`, or what `body` throws.
    public static func forEachEntry<Failure: Error>(
        _ name: String, in directory: Directory, _ body: (String, JSONValue) throws(Failure) -> Void
    ) throws {
        let lastLine = try lastLines(directory, name)
        try forEachEntryLine(name, in: directory) { (key, number, bytes) throws(Failure) in
            guard lastLine[key] == number, let value = try? JSONValue.parse(Data(bytes)) else { return true }
            try body(key, value)
            return true
        }
    }

    /// Every entry line of the log in file order, superseded copies included (a later line of the
    /// same key supersedes an earlier one): its key, its 1-based line number and its value's bytes,
    /// valid during the call only. Memory is one line, however long the log. `body` returns false
    /// to stop early.
    /// - Throws: `FileError.read`, or what `body` throws.
    public static func forEachEntryLine<Failure: Error>(
        _ name: String, in directory: Directory,
        _ body: (_ key: String, _ line: Int, _ value: UnsafeBufferPointer<UInt8>) throws(Failure) -> Bool
    ) throws {
        var failure: Failure?
        try entryLines(directory, name) { key, number, value in
            do throws(Failure) {
                return try body(key, number, value)
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
    }

    /// The one pass over entry lines that `forEachEntryLine` and `lastLines` share.
    private static func entryLines(
        _ directory: Directory, _ name: String, _ body: (String, Int, UnsafeBufferPointer<UInt8>) -> Bool
    ) throws(FileError) {
        var number = 0
        try LineReader(directory, name).forEachLine { line in
            number += 1
            guard let entry = LogEntry(line.bytes, isValidKey: Record.isValidKey) else { return true }
            return body(entry.id, number, UnsafeBufferPointer(rebasing: line.bytes[entry.valueStart..<entry.valueEnd]))
        }
    }

    /// Rewrites the file without superseded copies of updated entries (a streamed copy, then an
    /// atomic rename). Costs one pass over the log, so it runs once at the end of a run, and
    /// only when that run updated entries (never for an unindexed log, which does not count them).
    public func compact() throws(FileError) {
        guard duplicateCount > 0 else { return }
        let lastLine = try Self.lastLines(directory, name)
        let (output, temporary) = try directory.createTemporary(for: name, mode: mode)
        do {
            try output.write(Data("{\n".utf8))
            var written = 0
            var length: Int64 = 2
            var number = 0
            try LineReader(directory, name).forEachLine { (line) throws(FileError) in
                number += 1
                guard let entry = LogEntry(line.bytes, isValidKey: Record.isValidKey), lastLine[entry.id] == number else { return true }
                let separator = written == 0 ? Data() : Data(",\n".utf8)
                let content = Data(UnsafeBufferPointer(rebasing: line.bytes[0..<entry.valueEnd]))
                try output.write(separator + content)
                length += Int64(separator.count + content.count)
                written += 1
                return true
            }
            try output.write(Self.closing(afterEntries: written))
            try output.sync()
            try output.close()
            let replacement = try directory.openForAppending(temporary)
            try replacement.lockExclusively()
            try directory.rename(temporary, to: name)
            directory.sync()
            file = replacement
            self.length = length + Int64(Self.closing(afterEntries: written).count)
            entryCount = written
            duplicateCount = 0
            closingOffset = written == 0 ? 2 : length
        } catch {
            directory.remove(temporary)
            throw error
        }
    }

    /// For each key, the number of the line holding its newest value (the one a JSON parser keeps).
    private static func lastLines(_ directory: Directory, _ name: String) throws(FileError) -> [String: Int] {
        var lastLine: [String: Int] = [:]
        try entryLines(directory, name) { key, number, _ in
            lastLine[key] = number
            return true
        }
        return lastLine
    }

    /// Cuts everything after the last complete entry and closes the object again. The cut bytes are
    /// kept in `<log>.torn-<time>` so that a wrong diagnosis can never lose anything.
    private func repairTail(fileLength: Int64, problemLine: Int?, now: Date) throws(FileError) {
        let cutLength = fileLength - closingOffset
        var note = "repaired a torn end of \(path)"
        if let problemLine { note += " (from line \(problemLine))" }
        if cutLength > 0 {
            let cut = try file.read(from: closingOffset, count: Int(min(cutLength, 1 << 24)))
            // Pieces of the old closing brace are not worth a file; anything else is kept.
            let meaningful = cut.contains { !"\n\r\t },".utf8.contains($0) && $0 != 0 }
            if meaningful {
                let aside = try directory.writeAside(cut, as: "\(name).torn-\(Int64(now.timeIntervalSince1970))", mode: mode)
                note += "; the \(cut.count) bytes cut off are in \(directory.path(aside))"
            }
        }
        try closeAfterLastEntry()
        repairNote = note
    }

    /// A log that is a valid JSON object in another layout (the original Python tool wrote its
    /// catalog with `json.dump`): rewritten one entry per line, the original kept as `.orig-<time>`.
    /// - Returns: false (nothing written) unless the file is such an object, of valid keys, of objects.
    private static func migrateForeignLayout(_ name: String, in directory: Directory, now: Date, mode: mode_t) throws(FileError)
        -> Bool
    {
        let original = try directory.read(name)
        guard let json = try? JSONValue.parse(original), case .object(let members) = json else { return false }
        var text = "{\n"
        for (index, key) in JSONValue.orderedKeys(members).enumerated() {
            guard Record.isValidKey(key), let value = members[key], value.objectValue != nil else { return false }
            text += (index == 0 ? "" : ",\n") + "\"\(key)\": "
            text += String(decoding: value.serialized(.compact), as: UTF8.self)
        }
        text += members.isEmpty ? "}\n" : "\n}\n"
        _ = try directory.writeAside(original, as: "\(name).orig-\(Int64(now.timeIntervalSince1970))", mode: mode)
        try directory.writeAtomically(Data(text.utf8), to: name, mode: mode)
        return true
    }

    private typealias Scan = LogScan<Record>
}

/// One pass over a log file: which keys it holds and whether (and where) it is damaged.
private struct LogScan<Record: AppendLogRecord> {
    var summaries: [String: Record.Summary] = [:]
    var entryCount = 0
    /// File offset just after the last complete entry's value (before its comma).
    var lastEntryEnd: Int64?
    var lastEntryHadComma = false
    var closed = false
    var problem: (line: Int, reason: String)?
    /// Lines after the first problem line. An interrupted append can only damage the last line
    /// (and put `,}` after the entry before it), so any line after the damage means it is not a
    /// torn tail but damage in the middle, or another layout.
    var linesAfterProblem = 0
    /// Whether the problem line is an entry followed by more entries and a closing brace: no
    /// interrupted append leaves that, but a JSON object with all its entries on one line does.
    var problemLineHoldsMoreEntries = false
    var length: Int64 = 0

    /// The file is fine, or only its end is what an interrupted append leaves: safe to cut.
    var isTornTail: Bool {
        guard let problem else { return true }
        return problem.line > 1 && linesAfterProblem == 0
    }

    /// Whether `summaries` is filled.
    var indexed = true

    static func read(_ directory: Directory, _ name: String, indexed: Bool) throws(FileError) -> LogScan {
        var scan = LogScan()
        scan.indexed = indexed
        if indexed, let size = directory.fileSize(name) {
            // About one key per 160 bytes (a catalog line is longer): the table is not grown, and
            // its keys hashed again, five times on the way to 100,000 (docs/performance.md, "Catalog").
            // At most 2^18 ahead (a few MB): a huge file that is not a log costs no more than that.
            scan.summaries.reserveCapacity(Int(clamping: min(size / 160, 1 << 18)))
        }
        var number = 0
        try LineReader(directory, name).forEachLine { line in
            number += 1
            scan.length = line.offset + Int64(line.bytes.count) + (line.terminated ? 1 : 0)
            scan.take(line, number: number)
            return true
        }
        return scan
    }

    mutating func take(_ line: LineReader.Line, number: Int) {
        let bytes = line.bytes
        if problem != nil {
            linesAfterProblem += 1
            return
        }
        if number == 1 {
            if !(bytes.count == 1 && bytes[0] == UInt8(ascii: "{")) {
                problem = (1, "not the \(Record.logName) layout imgur-archive writes (a '{' line, one entry per line, a '}' line)")
            }
            return
        }
        if let entry = LogEntry(bytes, isValidKey: Record.isValidKey) {
            if closed || (entryCount > 0 && !lastEntryHadComma) {
                problem = (number, closed ? "entry after the closing brace" : "missing comma before this entry")
                return
            }
            if indexed {
                Record.index(entry.id, object: UnsafeBufferPointer(rebasing: bytes[entry.valueStart..<entry.valueEnd]), into: &summaries)
            }
            entryCount += 1
            lastEntryEnd = line.offset + Int64(entry.valueEnd)
            lastEntryHadComma = entry.remainder == .comma
            if entry.remainder == .junk {
                problem = (number, "unexpected text after the entry")
                let rest = bytes[entry.valueEnd...]
                let last = rest.lastIndex { !" \t\r".utf8.contains($0) }
                problemLineHoldsMoreEntries = rest.contains(UInt8(ascii: "\"")) && last.map { bytes[$0] == UInt8(ascii: "}") } == true
            }
            return
        }
        if !closed && bytes.count == 1 && bytes[0] == UInt8(ascii: "}") && !lastEntryHadComma {
            closed = true
            return
        }
        problem = (number, closed ? "text after the closing brace" : "not a complete \(Record.logName) entry")
    }
}

/// One entry line of a log, `"KEY": {…}` optionally followed by `,`. Not nested in the generic
/// `LogScan`: a type nested there is generic too, and looking its metadata up for every line of a
/// 100,000-entry catalog cost more than reading the line.
private struct LogEntry {
    enum Remainder { case none, comma, junk }
    var id: String
    var valueStart: Int
    var valueEnd: Int
    var remainder: Remainder

    /// The longest key a line may have.
    static var maxKeyLength: Int { 64 }

    /// Nil unless the key (`isValidKey`) and the object are valid.
    init?(_ bytes: UnsafeBufferPointer<UInt8>, isValidKey: (String) -> Bool) {
        guard bytes.count > 4, bytes[0] == UInt8(ascii: "\"") else { return nil }
        var quote = 1
        while quote < bytes.count && quote <= Self.maxKeyLength + 1 && bytes[quote] != UInt8(ascii: "\"") { quote += 1 }
        guard quote < bytes.count, bytes[quote] == UInt8(ascii: "\""), quote + 1 < bytes.count,
            bytes[quote + 1] == UInt8(ascii: ":")
        else { return nil }
        let id = String(decoding: UnsafeBufferPointer(rebasing: bytes[1..<quote]), as: UTF8.self)
        guard isValidKey(id) else { return nil }
        var start = quote + 2
        while start < bytes.count && bytes[start] == 0x20 { start += 1 }
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{"),
            let end = JSONSyntax.valueEnd(bytes, from: start)
        else { return nil }
        let rest = bytes.count - end
        self.id = id
        valueStart = start
        valueEnd = end
        remainder = rest == 0 ? .none : (rest == 1 && bytes[end] == UInt8(ascii: ",") ? .comma : .junk)
    }
}
