import Foundation
import ImgurAPI

/// `scraping_logs.json`: one JSON object keyed by album id, kept one entry per line so that adding
/// an album costs the same at 100,000 albums as at 10.
///
/// ```
/// {
/// "AbCdE": {"archived_at":"…","id":"AbCdE",…},
/// "q6i58": {"archived_at":"…","id":"q6i58",…}
/// }
/// ```
/// Appending overwrites only the closing `\n}\n` with `,\n"ID": {…}\n}\n` in one positioned write,
/// then flushes: earlier entries are never rewritten. A crash can at worst leave a torn last line,
/// which `open` cuts off (saving the cut bytes beside the catalog). Updating an entry appends it
/// again (the last value wins, as in any JSON parser); `compact()` drops the older copies.
final class CatalogFile {
    let path: String
    private(set) var ids: Set<String> = []
    /// The few entries whose album is only half fetched (`metadata-only`, `media-only`); every other
    /// id in `ids` is done.
    private(set) var halfDone: [String: CatalogEntry.Status] = [:]
    /// Entries that repeat an earlier id (updates not yet compacted).
    private(set) var duplicateCount = 0
    private(set) var entryCount = 0
    /// What `open` had to repair, for the user; nil when nothing.
    private(set) var repairNote: String?
    /// Where the closing `}` (empty catalog) or `\n}` (after the last entry) starts.
    private var closingOffset: Int64 = 2
    private var file: OpenFile
    /// Set when an append failed: no later append is tried, so the file keeps the state the undo
    /// left it in (see `append`).
    private var failure: ArchiveError?

    private init(path: String, file: OpenFile) {
        self.path = path
        self.file = file
    }

    /// Opens the catalog, creating it when missing and repairing a torn tail.
    /// - Throws: `ArchiveError.invalidCatalog` when the file is damaged anywhere but at its tail;
    ///   the file is then left exactly as it was.
    static func open(_ path: String, now: Date = Date()) throws(ArchiveError) -> CatalogFile {
        if FileSystem.fileSize(path) ?? 0 == 0 {
            // Missing, or empty (nothing in it to lose): start a new one.
            try FileSystem.writeAtomically(Data("{\n}\n".utf8), to: path)
        }
        var scan = try Scan.read(path)
        if let problem = scan.problem, !scan.isTornTail || scan.problemLineHoldsMoreEntries {
            // Not what an interrupted append leaves (or, ending in a brace, maybe not). A valid
            // JSON object in another layout (the Python original's json.dump, jq, all entries on
            // one line) is converted; anything else that is not a torn tail is refused untouched.
            if try migrateForeignLayout(path, now: now) {
                scan = try Scan.read(path)
                if let problem = scan.problem {
                    throw .invalidCatalog(path: path, line: problem.line, reason: problem.reason)
                }
            } else if !scan.isTornTail {
                throw .invalidCatalog(path: path, line: problem.line, reason: problem.reason)
            }
        }
        let catalog = CatalogFile(path: path, file: try OpenFile(appendingTo: path))
        catalog.ids = scan.ids
        catalog.halfDone = scan.halfDone
        catalog.entryCount = scan.entryCount
        catalog.duplicateCount = scan.entryCount - scan.ids.count
        catalog.closingOffset = scan.lastEntryEnd ?? 2
        if scan.problem != nil || !scan.closed {
            try catalog.repairTail(fileLength: scan.length, problemLine: scan.problem?.line, now: now)
        }
        return catalog
    }

    func contains(_ id: ImgurID) -> Bool {
        ids.contains(id.rawValue)
    }

    /// Whether a run fetching `scope` can skip `id` without asking Imgur.
    func isDone(_ id: ImgurID, for scope: ArchiveScope) -> Bool {
        guard ids.contains(id.rawValue) else { return false }
        return halfDone[id.rawValue]?.isDone(for: scope) ?? true
    }

    /// Adds (or, for an id already present, updates) one entry, durably.
    ///
    /// A failed write (disk full, I/O error) is undone: the closing brace is put back where it was
    /// and the file cut after it, so the catalog stays what it was before. The undo only rewrites
    /// bytes that were already there, so it needs no free space. After a failure every later append
    /// fails at once: appending after a half-undone write could bury the damage under new lines.
    func append(_ entry: CatalogEntry) throws(ArchiveError) {
        if let failure { throw failure }
        let line = Data("\"\(entry.id.rawValue)\": ".utf8) + entry.json.serialized(.compact)
        var bytes = Data(entryCount == 0 ? [] : Array(",\n".utf8))
        bytes.append(line)
        bytes.append(contentsOf: Array("\n}\n".utf8))
        do {
            try file.write(bytes, at: closingOffset)
            try file.sync()
        } catch {
            failure = error
            // Best effort: if even the undo fails, the next run's `open` finds a torn last line.
            try? closeAfterLastEntry()
            throw error
        }
        closingOffset += Int64(bytes.count - 3)
        entryCount += 1
        if !ids.insert(entry.id.rawValue).inserted { duplicateCount += 1 }
        halfDone[entry.id.rawValue] = entry.status == .metadataOnly || entry.status == .mediaOnly ? entry.status : nil
    }

    /// Writes the closing brace right after the last complete entry, cuts the file there, flushes.
    private func closeAfterLastEntry() throws(ArchiveError) {
        let closing = Self.closing(afterEntries: entryCount)
        try file.write(closing, at: closingOffset)
        try file.truncate(to: closingOffset + Int64(closing.count))
        try file.sync()
    }

    /// What ends the file: `}` alone in an empty catalog, else on its own line after the last entry.
    private static func closing(afterEntries count: Int) -> Data {
        Data((count == 0 ? "}\n" : "\n}\n").utf8)
    }

    /// Every entry of the catalog at `path`, in file order, each id once (its newest value),
    /// streamed: memory holds the ids, not the entries. Lines that are not entries are skipped.
    /// - Throws: `ArchiveError.read`, or what `body` throws.
    static func forEachEntry(
        _ path: String, _ body: (ImgurID, JSONValue) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        let lastLine = try lastLines(path)
        var number = 0
        try LineReader(path: path).forEachLine { (line) throws(ArchiveError) in
            number += 1
            guard let entry = Scan.entry(line.bytes), lastLine[entry.id] == number, let id = ImgurID(entry.id),
                let start = line.bytes.firstIndex(of: UInt8(ascii: "{")),
                let value = try? JSONValue.parse(Data(UnsafeBufferPointer(rebasing: line.bytes[start..<entry.valueEnd])))
            else { return true }
            try body(id, value)
            return true
        }
    }

    /// Rewrites the file without superseded copies of updated entries (a streamed copy, then an
    /// atomic rename). Costs one pass over the catalog, so it runs once at the end of a run, and
    /// only when that run updated entries.
    func compact() throws(ArchiveError) {
        guard duplicateCount > 0 else { return }
        let lastLine = try Self.lastLines(path)
        let temporary = "\(path).compact-\(getpid())"
        let output = try OpenFile(creating: temporary)
        do {
            try output.write(Data("{\n".utf8))
            var written = 0
            var length: Int64 = 2
            var number = 0
            try LineReader(path: path).forEachLine { (line) throws(ArchiveError) in
                number += 1
                guard let entry = Scan.entry(line.bytes), lastLine[entry.id] == number else { return true }
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
            try FileSystem.moveIntoPlace(temporary, path)
            FileSystem.syncDirectory((path as NSString).deletingLastPathComponent)
            file = try OpenFile(appendingTo: path)
            entryCount = written
            duplicateCount = 0
            closingOffset = written == 0 ? 2 : length
        } catch {
            FileSystem.remove(temporary)
            throw error
        }
    }

    /// For each id, the number of the line holding its newest value (the one a JSON parser keeps).
    private static func lastLines(_ path: String) throws(ArchiveError) -> [String: Int] {
        var lastLine: [String: Int] = [:]
        var number = 0
        try LineReader(path: path).forEachLine { (line) throws(ArchiveError) in
            number += 1
            if let entry = Scan.entry(line.bytes) { lastLine[entry.id] = number }
            return true
        }
        return lastLine
    }

    /// Cuts everything after the last complete entry and closes the object again. The cut bytes are
    /// kept in `scraping_logs.json.torn-<time>` so that a wrong diagnosis can never lose anything.
    private func repairTail(fileLength: Int64, problemLine: Int?, now: Date) throws(ArchiveError) {
        let cutLength = fileLength - closingOffset
        var note = "repaired a torn end of \(path)"
        if let problemLine { note += " (from line \(problemLine))" }
        if cutLength > 0 {
            let aside = "\(path).torn-\(Int64(now.timeIntervalSince1970))"
            let cut = try Self.bytes(of: path, from: closingOffset, count: Int(min(cutLength, 1 << 24)))
            // Pieces of the old closing brace are not worth a file; anything else is kept.
            let meaningful = cut.contains { !"\n\r\t },".utf8.contains($0) && $0 != 0 }
            if meaningful {
                try FileSystem.writeAtomically(cut, to: aside)
                note += "; the \(cut.count) bytes cut off are in \(aside)"
            }
        }
        try closeAfterLastEntry()
        repairNote = note
    }

    private static func bytes(of path: String, from offset: Int64, count: Int) throws(ArchiveError) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .read(path: path, reason: "cannot open")
        }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            return try handle.read(upToCount: count) ?? Data()
        } catch {
            throw .read(path: path, reason: "\(error)")
        }
    }

    /// A catalog that is a valid JSON object in another layout (the original Python tool wrote one
    /// with `json.dump`): rewritten one entry per line, the original kept as `.orig-<time>`.
    /// - Returns: false (nothing written) unless the file is such an object, keyed by ids, of objects.
    private static func migrateForeignLayout(_ path: String, now: Date) throws(ArchiveError) -> Bool {
        let original = try FileSystem.read(path)
        guard let json = try? JSONValue.parse(original), case .object(let members) = json else { return false }
        var text = "{\n"
        for (index, key) in JSONValue.orderedKeys(members).enumerated() {
            guard ImgurID(key) != nil, let value = members[key], value.objectValue != nil else { return false }
            text += (index == 0 ? "" : ",\n") + "\"\(key)\": "
            text += String(decoding: value.serialized(.compact), as: UTF8.self)
        }
        text += members.isEmpty ? "}\n" : "\n}\n"
        try FileSystem.writeAtomically(original, to: "\(path).orig-\(Int64(now.timeIntervalSince1970))")
        try FileSystem.writeAtomically(Data(text.utf8), to: path)
        return true
    }
}

/// One pass over the catalog file: which ids it holds and whether (and where) it is damaged.
private struct Scan {
    var ids: Set<String> = []
    var halfDone: [String: CatalogEntry.Status] = [:]
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

    static func read(_ path: String) throws(ArchiveError) -> Scan {
        var scan = Scan()
        var number = 0
        try LineReader(path: path).forEachLine { line in
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
                problem = (1, "not the catalog layout imgur-archive writes (a '{' line, one entry per line, a '}' line)")
            }
            return
        }
        if let entry = Self.entry(bytes) {
            if closed || (entryCount > 0 && !lastEntryHadComma) {
                problem = (number, closed ? "entry after the closing brace" : "missing comma before this entry")
                return
            }
            ids.insert(entry.id)
            halfDone[entry.id] = Self.halfDoneStatus(bytes[..<entry.valueEnd])
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
        problem = (number, closed ? "text after the closing brace" : "not a complete catalog entry")
    }

    /// `metadata-only` or `media-only` when the entry says so. The catalog is written compact by
    /// this tool, so the status reads `"status":"…"`; looking for it costs far less than parsing.
    static func halfDoneStatus(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> CatalogEntry.Status? {
        for status in [CatalogEntry.Status.metadataOnly, .mediaOnly] {
            let needle = Array("\"status\":\"\(status.rawValue)\"".utf8)
            if bytes.count >= needle.count,
                bytes.indices.dropLast(needle.count - 1).contains(where: { bytes[$0..<$0 + needle.count].elementsEqual(needle) })
            {
                return status
            }
        }
        return nil
    }

    struct Entry {
        enum Remainder { case none, comma, junk }
        var id: String
        var valueEnd: Int
        var remainder: Remainder
    }

    /// `"ID": {…}` optionally followed by `,`; nil unless the id and the object are valid.
    static func entry(_ bytes: UnsafeBufferPointer<UInt8>) -> Entry? {
        guard bytes.count > 4, bytes[0] == UInt8(ascii: "\"") else { return nil }
        var quote = 1
        while quote < bytes.count && quote <= 8 && bytes[quote] != UInt8(ascii: "\"") { quote += 1 }
        guard quote < bytes.count, bytes[quote] == UInt8(ascii: "\""),
            ImgurID.isValid(String(decoding: UnsafeBufferPointer(rebasing: bytes[1..<quote]), as: UTF8.self)),
            quote + 1 < bytes.count, bytes[quote + 1] == UInt8(ascii: ":")
        else { return nil }
        var start = quote + 2
        while start < bytes.count && bytes[start] == 0x20 { start += 1 }
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{"),
            let end = JSONSyntax.valueEnd(bytes, from: start)
        else { return nil }
        let id = String(decoding: UnsafeBufferPointer(rebasing: bytes[1..<quote]), as: UTF8.self)
        let rest = bytes.count - end
        let remainder: Entry.Remainder =
            rest == 0 ? .none : (rest == 1 && bytes[end] == UInt8(ascii: ",") ? .comma : .junk)
        return Entry(id: id, valueEnd: end, remainder: remainder)
    }
}
