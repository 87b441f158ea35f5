import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurAPI

/// `scraping_logs.json`: creation, appends, updates, compaction, torn-tail repair, damage
/// detection (file left untouched) and migration of other JSON layouts.
@Suite struct CatalogFileTests {
    /// The fixed clock of every test: names the `.torn-` and `.orig-` files.
    static let now = Date(timeIntervalSince1970: 1_790_000_000)
    static let stamp = "1790000000"

    // MARK: - Helpers

    /// A fresh temporary folder per test, removed by `remove()`.
    final class Folder {
        let path: String

        init() throws {
            path = (NSTemporaryDirectory() as NSString).appendingPathComponent(
                "catalog-file-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        var catalog: String { "\(path)/scraping_logs.json" }

        func remove() { try? FileManager.default.removeItem(atPath: path) }

        /// Removes every file inside, keeping the folder.
        func empty() {
            for name in names() { try? FileManager.default.removeItem(atPath: "\(path)/\(name)") }
        }

        func names() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        }

        func bytes(_ name: String = "scraping_logs.json") -> [UInt8]? {
            FileManager.default.contents(atPath: "\(path)/\(name)").map { [UInt8]($0) }
        }

        func write(_ bytes: [UInt8], _ name: String = "scraping_logs.json") throws {
            try Data(bytes).write(to: URL(fileURLWithPath: "\(path)/\(name)"))
        }
    }

    static func id(_ text: String) -> ImgurID { ImgurID(text)! }

    static func entry(_ text: String, title: String? = nil, status: AlbumStatus = .complete) -> CatalogEntry {
        CatalogEntry(
            id: id(text), status: status, title: title, published: 1_500_282_000, mediaCount: 2,
            recordedAt: now, missing: status == .partial ? ["Mis5ing"] : [])
    }

    /// `"ID": {…}` exactly as the catalog writes one entry.
    static func line(_ entry: CatalogEntry) -> String {
        "\"\(entry.id.rawValue)\": " + String(decoding: entry.json.serialized(.compact), as: UTF8.self)
    }

    /// The file the line layout holds for these entries, in this order.
    static func layout(_ entries: [CatalogEntry]) -> String {
        entries.isEmpty ? "{\n}\n" : "{\n" + entries.map(line).joined(separator: ",\n") + "\n}\n"
    }

    /// Parses with Foundation's JSON parser: nil unless the whole file is one JSON object.
    static func jsonObject(_ bytes: [UInt8]?) -> [String: Any]? {
        guard let bytes else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    static func keys(_ bytes: [UInt8]?) -> [String]? {
        jsonObject(bytes)?.keys.sorted()
    }

    static func open(_ path: String) -> Result<Catalog, FormatError> {
        do {
            return .success(try Catalog.open(path, now: now))
        } catch let error as FormatError {
            return .failure(error)
        } catch {
            Issue.record("expected a FormatError, got \(error)")
            return .failure(.document(path: path, reason: "\(error)"))
        }
    }

    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    // MARK: - Creation

    @Test func createsTheCatalogWhenMissing() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(Self.text(folder.bytes()) == "{\n}\n")
        #expect(catalog.ids.isEmpty)
        #expect(catalog.entryCount == 0)
        #expect(catalog.duplicateCount == 0)
        #expect(catalog.repairNote == nil)
        #expect(folder.names() == ["scraping_logs.json"])
    }

    @Test func replacesAnEmptyFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write([])
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(Self.text(folder.bytes()) == "{\n}\n")
        #expect(catalog.ids.isEmpty)
        #expect(catalog.repairNote == nil)
        #expect(folder.names() == ["scraping_logs.json"])
    }

    @Test func opensAnEmptyCatalogWithoutChangingIt() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write(Array("{\n}\n".utf8))
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(catalog.ids.isEmpty)
        #expect(catalog.repairNote == nil)
        #expect(Self.text(folder.bytes()) == "{\n}\n")
    }

    // MARK: - Appending

    @Test func appendingOneEntryWritesExactlyOneLine() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        try catalog.append(Self.entry("AbCdE", title: "First"))
        let expected = """
            {
            "AbCdE": {"archived_at":"2026-09-21T14:13:20Z","id":"AbCdE","kind":"album","media_count":2,\
            "published":"2017-07-17T09:00:00Z","status":"complete","title":"First"}
            }

            """
        #expect(Self.text(folder.bytes()) == expected)
        #expect(catalog.ids == ["AbCdE"])
        #expect(catalog.entryCount == 1)
        #expect(catalog.contains(Self.id("AbCdE")))
        #expect(!catalog.contains(Self.id("q6i58")))
    }

    @Test(arguments: [1, 2, 3, 17, 300])
    func appendedEntriesFormValidJSONOneEntryPerLine(count: Int) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let entries = (0..<count).map { Self.entry(String(format: "Id%05d", $0), title: "album \($0)") }
        do {
            let catalog = try Catalog.open(folder.catalog, now: Self.now)
            for entry in entries { try catalog.append(entry) }
            #expect(catalog.entryCount == count)
            #expect(catalog.ids.count == count)
        }
        let bytes = try #require(folder.bytes())
        #expect(Self.text(bytes) == Self.layout(entries))
        let object = try #require(Self.jsonObject(bytes))
        #expect(object.keys.sorted() == entries.map(\.id.rawValue).sorted())
        let title = (object["Id00000"] as? [String: Any])?["title"] as? String
        #expect(title == "album 0")

        // One entry per line: `{`, the entries, `}`.
        let lines = Self.text(bytes)!.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == count + 3)  // the last is the empty string after the final newline
        #expect(lines.first == "{")
        #expect(lines[count + 1] == "}")
        #expect(lines.last == "")
        for (index, entry) in entries.enumerated() {
            let expected = Self.line(entry) + (index == count - 1 ? "" : ",")
            #expect(lines[index + 1] == Substring(expected))
        }

        // Reopening reads the same ids, and nothing needs repairing.
        let reopened = try Catalog.open(folder.catalog, now: Self.now)
        #expect(reopened.ids == Set(entries.map(\.id.rawValue)))
        #expect(reopened.entryCount == count)
        #expect(reopened.duplicateCount == 0)
        #expect(reopened.repairNote == nil)
        for entry in entries { #expect(reopened.contains(entry.id)) }
        #expect(!reopened.contains(Self.id("ZZZZZZZ")))
        #expect(folder.bytes() == bytes)
    }

    @Test func appendsContinueAfterReopening() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let a = Self.entry("AAAAA"), b = Self.entry("BBBBBB"), c = Self.entry("CCCCCCC", status: .partial)
        do {
            let catalog = try Catalog.open(folder.catalog, now: Self.now)
            try catalog.append(a)
            try catalog.append(b)
        }
        let reopened = try Catalog.open(folder.catalog, now: Self.now)
        try reopened.append(c)
        #expect(Self.text(folder.bytes()) == Self.layout([a, b, c]))
        #expect(Self.keys(folder.bytes()) == ["AAAAA", "BBBBBB", "CCCCCCC"])
        #expect(reopened.ids == ["AAAAA", "BBBBBB", "CCCCCCC"])
        #expect(reopened.entryCount == 3)
    }

    @Test func anUnavailableEntryIsWrittenWithItsReason() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        let gone = CatalogEntry(id: Self.id("GoNe1"), status: .unavailable, recordedAt: Self.now, reason: "HTTP 404")
        try catalog.append(gone)
        let expected = """
            {
            "GoNe1": {"checked_at":"2026-09-21T14:13:20Z","id":"GoNe1","kind":"album","reason":"HTTP 404",\
            "status":"unavailable"}
            }

            """
        #expect(Self.text(folder.bytes()) == expected)
    }

    @Test func titlesWithNewlinesQuotesAndControlCharactersStayOnOneLine() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let titles = [
            "two\nlines", "a \"quoted\" \\ title", "tab\tand\rreturn", "bell\u{07} nul\u{00}",
            "caf\u{E9} \u{1F600} \u{2028}sep", "}\n{", "\",\n\"XXXXX\": {",
        ]
        let entries = titles.enumerated().map { Self.entry("Ttl\($0.offset)00", title: $0.element) }
        do {
            let catalog = try Catalog.open(folder.catalog, now: Self.now)
            for entry in entries { try catalog.append(entry) }
        }
        let bytes = try #require(folder.bytes())
        #expect(bytes.filter { $0 == 0x0A }.count == entries.count + 2)
        let object = try #require(Self.jsonObject(bytes))
        for entry in entries {
            #expect((object[entry.id.rawValue] as? [String: Any])?["title"] as? String == entry.title)
        }
        let reopened = try Catalog.open(folder.catalog, now: Self.now)
        #expect(reopened.ids == Set(entries.map(\.id.rawValue)))
        #expect(reopened.repairNote == nil)
        #expect(folder.bytes() == bytes)
    }

    // MARK: - Updates and compaction

    @Test func appendingAnExistingIDCountsADuplicateAndTheLastValueWins() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        try catalog.append(Self.entry("AbCdE", title: "old"))
        try catalog.append(Self.entry("q6i58", title: "other"))
        try catalog.append(Self.entry("AbCdE", title: "new"))
        #expect(catalog.ids == ["AbCdE", "q6i58"])
        #expect(catalog.entryCount == 3)
        #expect(catalog.duplicateCount == 1)

        let bytes = try #require(folder.bytes())
        #expect(
            Self.text(bytes)
                == Self.layout([Self.entry("AbCdE", title: "old"), Self.entry("q6i58", title: "other"),
                    Self.entry("AbCdE", title: "new")]))
        let object = try #require(Self.jsonObject(bytes))
        #expect(object.keys.sorted() == ["AbCdE", "q6i58"])
        #expect((object["AbCdE"] as? [String: Any])?["title"] as? String == "new")

        catalog.close()  // one open catalog per process: the file is locked while it is
        let reopened = try Catalog.open(folder.catalog, now: Self.now)
        #expect(reopened.entryCount == 3)
        #expect(reopened.duplicateCount == 1)
        #expect(reopened.ids == ["AbCdE", "q6i58"])
        #expect(reopened.repairNote == nil)
    }

    @Test func compactKeepsOnlyTheLastCopyOfEachEntry() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let a1 = Self.entry("AAAAA", title: "a1"), b1 = Self.entry("BBBBB", title: "b1")
        let a2 = Self.entry("AAAAA", title: "a2"), c = Self.entry("CCCCC", title: "c")
        let b2 = Self.entry("BBBBB", title: "b2"), d = Self.entry("DDDDD", title: "d")
        let e = Self.entry("EEEEE", title: "e"), a3 = Self.entry("AAAAA", title: "a3")
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        for entry in [a1, b1, a2, c, b2, d] { try catalog.append(entry) }
        #expect(catalog.duplicateCount == 2)

        try catalog.compact()
        // Each entry stays where its last copy was.
        #expect(Self.text(folder.bytes()) == Self.layout([a2, c, b2, d]))
        #expect(catalog.entryCount == 4)
        #expect(catalog.duplicateCount == 0)
        #expect(catalog.ids == ["AAAAA", "BBBBB", "CCCCC", "DDDDD"])
        #expect(folder.names() == ["scraping_logs.json"])

        // Appending (and updating) still works on the rewritten file.
        try catalog.append(e)
        try catalog.append(a3)
        #expect(Self.text(folder.bytes()) == Self.layout([a2, c, b2, d, e, a3]))
        #expect(catalog.duplicateCount == 1)
        let object = try #require(Self.jsonObject(folder.bytes()))
        #expect(object.keys.sorted() == ["AAAAA", "BBBBB", "CCCCC", "DDDDD", "EEEEE"])
        #expect((object["AAAAA"] as? [String: Any])?["title"] as? String == "a3")

        catalog.close()  // one open catalog per process: the file is locked while it is
        let reopened = try Catalog.open(folder.catalog, now: Self.now)
        #expect(reopened.entryCount == 6)
        #expect(reopened.duplicateCount == 1)
        #expect(reopened.repairNote == nil)
    }

    @Test func compactAfterReopeningAndWithOnlyOneID() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let versions = (1...4).map { Self.entry("OnlyOne", title: "v\($0)") }
        do {
            let catalog = try Catalog.open(folder.catalog, now: Self.now)
            for entry in versions { try catalog.append(entry) }
        }
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(catalog.duplicateCount == 3)
        try catalog.compact()
        #expect(Self.text(folder.bytes()) == Self.layout([versions[3]]))
        try catalog.append(Self.entry("Second"))
        #expect(Self.text(folder.bytes()) == Self.layout([versions[3], Self.entry("Second")]))
    }

    @Test func compactWithoutDuplicatesLeavesTheFileAlone() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        try catalog.append(Self.entry("AAAAA"))
        try catalog.append(Self.entry("BBBBB"))
        let before = try #require(folder.bytes())
        let inode = try FileManager.default.attributesOfItem(atPath: folder.catalog)[.systemFileNumber] as? Int
        try catalog.compact()
        #expect(folder.bytes() == before)
        #expect(try FileManager.default.attributesOfItem(atPath: folder.catalog)[.systemFileNumber] as? Int == inode)
        #expect(catalog.entryCount == 2)
    }

    // MARK: - Torn tails

    /// A catalog before (`good`) and after (`full`) one more append, and where that append starts
    /// and where its value ends.
    struct AppendFixture {
        let base: [CatalogEntry]
        let new: CatalogEntry
        let good: [UInt8]
        let full: [UInt8]
        /// Where the append's bytes start (just after the last value, or after `{\n`).
        let start: Int
        /// Just after the new entry's value.
        let newValueEnd: Int

        init(base: [CatalogEntry], new: CatalogEntry) {
            self.base = base
            self.new = new
            good = Array(CatalogFileTests.layout(base).utf8)
            full = Array(CatalogFileTests.layout(base + [new]).utf8)
            start = good.count - (base.isEmpty ? 2 : 3)
            newValueEnd = full.count - 3
        }

        /// The new bytes the append writes at `start`.
        var appended: [UInt8] { Array(full[start...]) }
    }

    /// Opens `damaged` and checks the repair: every complete entry kept, the file exactly the
    /// catalog of those entries, the cut bytes kept aside unless they were only the closing.
    /// Whether cut bytes hold anything besides closing punctuation, whitespace and NULs (only
    /// then does the repair keep them in a `.torn-` file).
    static func isMeaningful(_ bytes: [UInt8]) -> Bool {
        bytes.contains { !Array("\n\r\t },".utf8).contains($0) && $0 != 0 }
    }

    static func expectRepaired(
        _ damaged: [UInt8], _ fixture: AppendFixture, in folder: Folder, _ label: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        folder.empty()
        try folder.write(damaged)
        let catalog: Catalog
        switch open(folder.catalog) {
        case .success(let opened): catalog = opened
        case .failure(let error):
            Issue.record("\(label): open threw \(error)", sourceLocation: sourceLocation)
            return
        }
        let newKept = damaged.count >= fixture.newValueEnd && Array(damaged[..<fixture.newValueEnd]) == Array(fixture.full[..<fixture.newValueEnd])
        let kept = fixture.base + (newKept ? [fixture.new] : [])
        let keptIDs = Set(kept.map(\.id.rawValue))
        #expect(catalog.ids == keptIDs, "\(label)", sourceLocation: sourceLocation)
        #expect(catalog.entryCount == kept.count, "\(label)", sourceLocation: sourceLocation)
        #expect(keys(folder.bytes()) == keptIDs.sorted(), "\(label): not valid JSON", sourceLocation: sourceLocation)

        let untouched = damaged == fixture.good || damaged == fixture.full || damaged == Array(fixture.full.dropLast())
        if untouched {
            // Complete JSON already (at worst without its final newline): nothing to repair.
            #expect(folder.bytes() == damaged, "\(label)", sourceLocation: sourceLocation)
            #expect(catalog.repairNote == nil, "\(label)", sourceLocation: sourceLocation)
            #expect(folder.names() == ["scraping_logs.json"], "\(label)", sourceLocation: sourceLocation)
        } else {
            let expected = newKept ? fixture.full : fixture.good
            #expect(folder.bytes() == expected, "\(label): \(text(folder.bytes()) ?? "nil")", sourceLocation: sourceLocation)
            let note = catalog.repairNote ?? ""
            #expect(note.hasPrefix("repaired a torn end of \(folder.catalog)"), "\(label): \(note)", sourceLocation: sourceLocation)
            let keptEnd = newKept ? fixture.newValueEnd : fixture.start
            let cut = Array(damaged[keptEnd...])
            let closing = Array((kept.isEmpty ? "}\n" : "\n}\n").utf8)
            let aside = "scraping_logs.json.torn-\(stamp)"
            if !Self.isMeaningful(cut) {
                // Only closing punctuation, whitespace or NULs were cut: nothing of value is kept aside.
                #expect(folder.names() == ["scraping_logs.json"], "\(label)", sourceLocation: sourceLocation)
                #expect(!note.contains(".torn-"), "\(label): \(note)", sourceLocation: sourceLocation)
            } else if closing.starts(with: cut) {
                // Only part of the closing (`\n` or `\n}`) was cut: nothing of value, so keeping it
                // aside is optional; if it is kept, it must be exactly those bytes.
                if folder.names().count > 1 {
                    #expect(folder.names() == ["scraping_logs.json", aside], "\(label)", sourceLocation: sourceLocation)
                    #expect(folder.bytes(aside) == cut, "\(label)", sourceLocation: sourceLocation)
                } else {
                    #expect(!note.contains(".torn-"), "\(label): \(note)", sourceLocation: sourceLocation)
                }
            } else {
                #expect(folder.names() == ["scraping_logs.json", aside], "\(label)", sourceLocation: sourceLocation)
                #expect(folder.bytes(aside) == cut, "\(label)", sourceLocation: sourceLocation)
                #expect(
                    note.hasSuffix("; the \(cut.count) bytes cut off are in \(folder.catalog).torn-\(stamp)"),
                    "\(label): \(note)", sourceLocation: sourceLocation)
            }
        }

        // The repaired catalog takes appends again.
        let after = entry("NeXt1", title: "after repair")
        try catalog.append(after)
        #expect(text(folder.bytes()) == layout(kept + [after]), "\(label)", sourceLocation: sourceLocation)
        #expect(keys(folder.bytes()) == keptIDs.union(["NeXt1"]).sorted(), "\(label)", sourceLocation: sourceLocation)
    }

    static let tornBases: [[String]] = [[], ["AAAAA"], ["AAAAA", "BBBBBB", "CCCCCCC"]]

    /// The file cut at every length between the last complete entry and the end of the append.
    @Test(arguments: tornBases)
    func repairsEveryTruncationOfTheLastAppend(baseIDs: [String]) async throws {
        try await onItsOwnThread { () throws in
            let folder = try Folder()
            defer { folder.remove() }
            let fixture = AppendFixture(
                base: baseIDs.map { Self.entry($0, title: "t \($0)") }, new: Self.entry("NeWoNe", title: "new \"one\""))
            #expect(Array(fixture.full[..<fixture.start]) == Array(fixture.good[..<fixture.start]))
            for length in fixture.start...fixture.full.count {
                try Self.expectRepaired(Array(fixture.full[..<length]), fixture, in: folder, "cut at \(length)")
            }
        }
    }

    /// A partial positioned write: the first k bytes of the append written over the old closing.
    @Test(arguments: tornBases)
    func repairsEveryPartialWriteOverTheOldClosing(baseIDs: [String]) async throws {
        try await onItsOwnThread { () throws in
            let folder = try Folder()
            defer { folder.remove() }
            let fixture = AppendFixture(
                base: baseIDs.map { Self.entry($0, title: "t \($0)") }, new: Self.entry("NeWoNe", title: "new"))
            let appended = fixture.appended
            for written in 0...appended.count {
                var damaged = fixture.good
                for (offset, byte) in appended.prefix(written).enumerated() {
                    let position = fixture.start + offset
                    if position < damaged.count { damaged[position] = byte } else { damaged.append(byte) }
                }
                try Self.expectRepaired(damaged, fixture, in: folder, "\(written) bytes written")
            }
        }
    }

    struct TornTail: Sendable, CustomTestStringConvertible {
        let name: String
        /// What follows the last complete value (`…}`).
        let tail: String
        /// The line the repair note names, nil when the scan found no bad line.
        let line: Int?
        var testDescription: String { name }
    }

    static let tornTails: [TornTail] = [
        TornTail(name: "prefix of the next entry", tail: ",\n\"Ab", line: 4),
        TornTail(name: "a comma over the old closing", tail: ",}\n", line: 3),
        TornTail(name: "comma and newline over the old closing", tail: ",\n\n", line: 4),
        TornTail(name: "comma only", tail: ",", line: nil),
        TornTail(name: "half an entry", tail: ",\n\"q6i58\": {\"archived_at\":\"2026-09-21T14", line: 4),
        TornTail(name: "an entry without its closing brace", tail: ",\n\"q6i58\": {\"id\":\"q6i58\"", line: 4),
        TornTail(name: "NUL bytes after the closing", tail: "\n}\n\0\0\0\0\0\0\0\0", line: 5),
        TornTail(name: "NUL bytes instead of the closing", tail: "\0\0\0\0\0\0\0\0\0\0\0\0", line: 3),
        TornTail(name: "NUL bytes after a newline", tail: ",\n\0\0\0\0\0\0", line: 4),
        TornTail(name: "garbage after the closing", tail: "\n}\nrm -rf /\n", line: 5),
        TornTail(name: "a second closing brace", tail: "\n}\n}\n", line: 5),
        TornTail(name: "blank line after the closing", tail: "\n}\n\n", line: 5),
        TornTail(name: "closing brace without the newline before it", tail: "}\n", line: 3),
    ]

    @Test(arguments: tornTails)
    func repairsATornTail(torn: TornTail) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let a = Self.entry("AAAAA", title: "a"), b = Self.entry("BBBBBB", title: "b")
        let good = Self.layout([a, b])
        let complete = String(good.dropLast(3))  // `{\n…,\n"BBBBBB": {…}`
        try folder.write(Array((complete + torn.tail).utf8))

        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(catalog.ids == ["AAAAA", "BBBBBB"])
        #expect(catalog.entryCount == 2)
        #expect(Self.text(folder.bytes()) == good)
        let tail = Array(torn.tail.utf8)
        let aside = "\(folder.catalog).torn-\(Self.stamp)"
        var note = "repaired a torn end of \(folder.catalog)"
        if let line = torn.line { note += " (from line \(line))" }
        if Self.isMeaningful(tail) {
            note += "; the \(tail.count) bytes cut off are in \(aside)"
            #expect(folder.names() == ["scraping_logs.json", "scraping_logs.json.torn-\(Self.stamp)"])
            #expect(folder.bytes("scraping_logs.json.torn-\(Self.stamp)") == tail)
        } else {
            #expect(folder.names() == ["scraping_logs.json"])
        }
        #expect(catalog.repairNote == note)

        try catalog.append(Self.entry("CCCCC"))
        #expect(Self.text(folder.bytes()) == Self.layout([a, b, Self.entry("CCCCC")]))
    }

    @Test func repairsAMissingClosingWithoutSavingAnything() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let a = Self.entry("AAAAA")
        let good = Self.layout([a])
        try folder.write(Array(good.dropLast(3).utf8))  // `{\n"AAAAA": {…}`
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(catalog.repairNote == "repaired a torn end of \(folder.catalog)")
        #expect(Self.text(folder.bytes()) == good)
        #expect(folder.names() == ["scraping_logs.json"])
    }

    @Test func repairsACatalogCutRightAfterTheOpeningBrace() throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write(Array("{\n".utf8))
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(catalog.ids.isEmpty)
        #expect(Self.text(folder.bytes()) == "{\n}\n")
        #expect(catalog.repairNote == "repaired a torn end of \(folder.catalog)")
        #expect(folder.names() == ["scraping_logs.json"])
        try catalog.append(Self.entry("AAAAA"))
        #expect(Self.text(folder.bytes()) == Self.layout([Self.entry("AAAAA")]))
    }

    // MARK: - Damage in the middle: refused, file untouched

    struct Damage: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let line: Int
        let reason: String
        var testDescription: String { name }
    }

    static let notComplete = "not a complete catalog entry"
    static let notOurLayout =
        "not the catalog layout imgur-archive writes (a '{' line, one entry per line, a '}' line)"

    static var damages: [Damage] {
        let a = line(entry("AAAAA")), b = line(entry("BBBBB")), c = line(entry("CCCCC"))
        return [
            Damage(name: "invalid line between entries", text: "{\n\(a),\ngarbage\n\(b)\n}\n", line: 3, reason: notComplete),
            Damage(name: "NUL bytes between entries", text: "{\n\(a),\n\0\0\0\0\0\n\(b)\n}\n", line: 3, reason: notComplete),
            Damage(name: "torn line in the middle", text: "{\n\(a),\n\"BBBBB\": {\"id\":\n\(c)\n}\n", line: 3, reason: notComplete),
            Damage(
                name: "missing comma between two entries", text: "{\n\(a)\n\(b)\n}\n", line: 3,
                reason: "missing comma before this entry"),
            Damage(
                name: "entry with the id ../x", text: "{\n\(a),\n\"../x\": {\"id\":\"../x\"},\n\(b)\n}\n", line: 3,
                reason: notComplete),
            Damage(
                name: "entry with a too long id", text: "{\n\(a),\n\"ABCDEFGH\": {\"id\":\"ABCDEFGH\"},\n\(b)\n}\n",
                line: 3, reason: notComplete),
            Damage(
                name: "entry whose value is not an object", text: "{\n\(a),\n\"BBBBB\": 5,\n\(c)\n}\n", line: 3,
                reason: notComplete),
            Damage(
                name: "junk after an entry in the middle", text: "{\n\(a), x\n\(b)\n}\n", line: 2,
                reason: "unexpected text after the entry"),
            Damage(
                name: "entry after the closing brace", text: "{\n\(a)\n}\n\(b)\n}\n", line: 4,
                reason: "entry after the closing brace"),
            Damage(name: "text before the { line", text: "catalog:\n{\n\(a)\n}\n", line: 1, reason: notOurLayout),
            Damage(name: "not JSON at all", text: "hello\nworld\n", line: 1, reason: notOurLayout),
        ]
    }

    @Test(arguments: damages)
    func refusesDamageInTheMiddleAndLeavesTheFileUntouched(damage: Damage) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let bytes = Array(damage.text.utf8)
        try folder.write(bytes)
        let modified = try FileManager.default.attributesOfItem(atPath: folder.catalog)[.modificationDate] as? Date
        guard case .failure(let error) = Self.open(folder.catalog) else {
            Issue.record("open accepted a damaged catalog; now: \(Self.text(folder.bytes()) ?? "nil")")
            return
        }
        #expect(error == .invalidLog(path: folder.catalog, line: damage.line, reason: damage.reason))
        #expect(
            error.description
                == "\(folder.catalog) line \(damage.line): \(damage.reason); the file was left untouched, fix or move it and run again")
        #expect(folder.bytes() == bytes)
        #expect(folder.names() == ["scraping_logs.json"])
        #expect(try FileManager.default.attributesOfItem(atPath: folder.catalog)[.modificationDate] as? Date == modified)
    }

    // MARK: - Other layouts

    struct Foreign: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        var testDescription: String { name }
    }

    /// The same two albums as Python's `json.dump` writes them in different styles.
    static let pythonLayouts: [Foreign] = [
        Foreign(
            name: "json.dump default (one line)",
            text: #"{"q6i58": {"title": "Second", "images": 1}, "AbCdE": {"title": "First album", "images": 3, "ratio": 1.5, "tags": ["a", "b"], "nsfw": false, "desc": null}}"#
        ),
        Foreign(
            name: "json.dump(indent=4)",
            text: """
                {
                    "q6i58": {
                        "title": "Second",
                        "images": 1
                    },
                    "AbCdE": {
                        "title": "First album",
                        "images": 3,
                        "ratio": 1.5,
                        "tags": [
                            "a",
                            "b"
                        ],
                        "nsfw": false,
                        "desc": null
                    }
                }
                """),
        Foreign(
            name: "json.dump(indent=2) with a final newline",
            text: """
                {
                  "q6i58": {"title": "Second", "images": 1},
                  "AbCdE": {"title": "First album", "images": 3, "ratio": 1.5, "tags": ["a", "b"], "nsfw": false, "desc": null}
                }

                """),
        Foreign(
            name: "every entry on the second line (looks like a torn tail, but is valid JSON)",
            text: "{\n\"AbCdE\": {\"title\": \"First album\", \"images\": 3, \"ratio\": 1.5, \"tags\": [\"a\", \"b\"], \"nsfw\": false, \"desc\": null}, \"q6i58\": {\"title\": \"Second\", \"images\": 1}}\n"
        ),
        Foreign(
            name: "json.dump(indent=\"\\t\")",
            text: "{\n\t\"q6i58\": {\n\t\t\"title\": \"Second\",\n\t\t\"images\": 1\n\t},\n\t\"AbCdE\": {\n\t\t\"title\": \"First album\",\n\t\t\"images\": 3,\n\t\t\"ratio\": 1.5,\n\t\t\"tags\": [\"a\", \"b\"],\n\t\t\"nsfw\": false,\n\t\t\"desc\": null\n\t}\n}"
        ),
    ]

    @Test(arguments: pythonLayouts)
    func migratesAValidJSONCatalogInAnotherLayout(foreign: Foreign) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let original = Array(foreign.text.utf8)
        try folder.write(original)
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        let expected = """
            {
            "AbCdE": {"desc":null,"images":3,"nsfw":false,"ratio":1.5,"tags":["a","b"],"title":"First album"},
            "q6i58": {"images":1,"title":"Second"}
            }

            """
        #expect(Self.text(folder.bytes()) == expected)
        #expect(catalog.ids == ["AbCdE", "q6i58"])
        #expect(catalog.entryCount == 2)
        #expect(catalog.duplicateCount == 0)
        #expect(folder.names() == ["scraping_logs.json", "scraping_logs.json.orig-\(Self.stamp)"])
        #expect(folder.bytes("scraping_logs.json.orig-\(Self.stamp)") == original)

        try catalog.append(Self.entry("NeW01"))
        let object = try #require(Self.jsonObject(folder.bytes()))
        #expect(object.keys.sorted() == ["AbCdE", "NeW01", "q6i58"])
        #expect((object["AbCdE"] as? [String: Any])?["images"] as? Int == 3)
    }

    /// An empty line between entries is still valid JSON (a hand edit, say): it is put back in the
    /// line layout, with the original kept, rather than refused.
    @Test func anEmptyLineBetweenEntriesIsValidJSONAndIsRelaidOut() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let a = Self.entry("AAAAA", title: "a"), b = Self.entry("BBBBBB", title: "b")
        let good = Self.layout([a, b])
        let original = Array(good.replacingOccurrences(of: ",\n", with: ",\n\n").utf8)
        try folder.write(original)
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(catalog.ids == ["AAAAA", "BBBBBB"])
        #expect(Self.text(folder.bytes()) == good)
        #expect(folder.bytes("scraping_logs.json.orig-\(Self.stamp)") == original)
    }

    @Test(arguments: ["{}", "{}\n", "{ }"])
    func migratesAnEmptyObject(text: String) throws {
        let folder = try Folder()
        defer { folder.remove() }
        try folder.write(Array(text.utf8))
        let catalog = try Catalog.open(folder.catalog, now: Self.now)
        #expect(catalog.ids.isEmpty)
        #expect(Self.text(folder.bytes()) == "{\n}\n")
        #expect(folder.names() == ["scraping_logs.json", "scraping_logs.json.orig-\(Self.stamp)"])
        #expect(folder.bytes("scraping_logs.json.orig-\(Self.stamp)") == Array(text.utf8))
    }

    static let unusableJSON: [Foreign] = [
        Foreign(name: "an array", text: "[1, 2, 3]"),
        Foreign(name: "an array, pretty", text: "[\n    {\"AbCdE\": {}}\n]"),
        Foreign(name: "a string", text: "\"AbCdE\""),
        Foreign(name: "a number", text: "42\n"),
        Foreign(name: "null", text: "null"),
        Foreign(name: "a key that is a path", text: #"{"../x": {"title": "evil"}}"#),
        Foreign(name: "a key that is too long", text: #"{"AbCdEfGh": {"title": "x"}}"#),
        Foreign(name: "one good key and one bad", text: #"{"AbCdE": {"title": "x"}, "not an id": {}}"#),
        Foreign(name: "a value that is not an object", text: #"{"AbCdE": 5}"#),
        Foreign(name: "a key that is a path, pretty", text: "{\n    \"../x\": {\n        \"title\": \"evil\"\n    }\n}"),
        Foreign(name: "a value that is not an object, pretty", text: "{\n    \"AbCdE\": \"done\"\n}"),
    ]

    @Test(arguments: unusableJSON)
    func refusesJSONThatIsNotACatalogAndLeavesItUntouched(foreign: Foreign) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let original = Array(foreign.text.utf8)
        try folder.write(original)
        guard case .failure(let error) = Self.open(folder.catalog) else {
            Issue.record("open accepted \(foreign.name); now: \(Self.text(folder.bytes()) ?? "nil")")
            #expect(folder.bytes() == original)
            return
        }
        // A pretty-printed object starts like ours (a `{` line) and deviates on line 2.
        let expected: FormatError =
            foreign.text.hasPrefix("{\n")
            ? .invalidLog(path: folder.catalog, line: 2, reason: "not a complete catalog entry")
            : .invalidLog(path: folder.catalog, line: 1, reason: Self.notOurLayout)
        #expect(error == expected)
        #expect(folder.bytes() == original)
        #expect(folder.names() == ["scraping_logs.json"])
    }

    // MARK: - Scale

    /// `[A-Za-z0-9]{5}` from a number, distinct for every number below 62^5.
    static func scaleID(_ number: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var value = number
        var bytes = [UInt8](repeating: 0, count: 5)
        for index in (0..<5).reversed() {
            bytes[index] = alphabet[value % 62]
            value /= 62
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func opensAHundredThousandEntriesAndAppendsAfterThem() async throws {
        try await onItsOwnThread { () throws in
            let folder = try Folder()
            defer { folder.remove() }
            let count = 100_000
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count * 64)
            bytes.append(contentsOf: "{\n".utf8)
            for number in 0..<count {
                let id = Self.scaleID(number)
                if number > 0 { bytes.append(contentsOf: ",\n".utf8) }
                bytes.append(contentsOf: "\"\(id)\": {\"id\":\"\(id)\",\"status\":\"complete\",\"media_count\":\(number % 50)}".utf8)
            }
            bytes.append(contentsOf: "\n}\n".utf8)
            try folder.write(bytes)

            let catalog = try Catalog.open(folder.catalog, now: Self.now)
            #expect(catalog.ids.count == count)
            #expect(catalog.entryCount == count)
            #expect(catalog.duplicateCount == 0)
            #expect(catalog.repairNote == nil)
            #expect(catalog.contains(Self.id(Self.scaleID(0))))
            #expect(catalog.contains(Self.id(Self.scaleID(count - 1))))
            #expect(folder.bytes() == bytes)

            let extra = Self.entry("zzzzzzz", title: "one more")
            try catalog.append(extra)
            #expect(catalog.ids.count == count + 1)
            let after = try #require(folder.bytes())
            let expected = Array(bytes.dropLast(3)) + Array((",\n" + Self.line(extra) + "\n}\n").utf8)
            #expect(after.count == expected.count)
            #expect(after == expected)
        }
    }
}
