import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI
import Jobs

/// `imgur-archive merge SRC… --into DST` (docs/scale-out.md, "Merging"): the album folders and
/// catalog entries of shard directories brought into one archive. Each source's catalog is read
/// in one streaming pass; each album's folder is in the destination before its entry is appended,
/// so a kill at any point leaves a destination the next merge finishes the same way.
///
/// An album in two places is kept once: the more complete one (complete, partial, then the rest),
/// then the newer `archived_at`. The other is never overwritten: a destination folder that loses
/// is moved aside to `merge-conflicts/`, a source folder that loses stays where it is; both are
/// listed.
public struct Merger: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var merged = 0
        public var alreadyThere = 0
        public var conflicts = 0
        public var failed = 0
        public var entries = 0

        public init() {}
    }

    public static let conflictsFolder = "merge-conflicts"
    /// More sources than a sort key's two bytes of catalog number can tell apart (0 is the destination).
    public static let maxSources = 1 << 16 - 1

    let destination: StorageLayout
    let catalog: Catalog
    let events: any RunEvents
    /// Remove a source folder once it is copied and verified (a rename always moves).
    let move: Bool
    /// Copy and verify even on one filesystem (tests of the path a second filesystem takes).
    let alwaysCopy: Bool
    /// What the sort of catalog lines may hold in memory before it writes runs to disk.
    let memoryBudget: Int

    /// - Parameter catalog: the destination's, opened unindexed (`Catalog.open(in:indexed:)`) or not.
    public init(
        destination: StorageLayout, catalog: Catalog, events: any RunEvents, move: Bool, alwaysCopy: Bool = false,
        memoryBudget: Int = 4 << 20
    ) {
        self.memoryBudget = memoryBudget
        self.destination = destination
        self.catalog = catalog
        self.events = events
        self.move = move
        self.alwaysCopy = alwaysCopy
    }

    /// What a killed merge left: half-copied folders (`.merge-<ID>-…`).
    public static func removeLeftovers(in destination: StorageLayout) {
        for name in destination.directory.names() where name.hasPrefix(".merge-") {
            try? FileManager.default.removeItem(atPath: destination.directory.path(name))
        }
    }

    /// What a killed `--move` left in a source: folders half removed.
    public static func removeSourceLeftovers(in source: StorageLayout) {
        for name in source.directory.names() where name.hasPrefix(".merge-removing-") {
            try? FileManager.default.removeItem(atPath: source.directory.path(name))
        }
    }

    /// Merges the catalogs and folders of `sources` (whose locks the caller holds), in the order
    /// given: where two sources hold an album, the first one's is weighed first.
    ///
    /// Memory is flat in the number of entries: every entry line of the destination's catalog and
    /// of the sources' is sorted by id (`ExternalSorter`, runs in a `.merge-sort-…` folder of the
    /// destination), then each id is settled from its own lines alone: the destination's newest
    /// entry, then each source's newest, in order.
    public func merge(_ sources: [StorageLayout]) throws -> Outcome {
        var outcome = Outcome()
        let scratchName = ".merge-sort-\(UUID().uuidString.prefix(8))"
        let scratch = try destination.directory.subdirectory(scratchName, create: true)
        defer { try? FileManager.default.removeItem(atPath: destination.directory.path(scratchName)) }
        let sorter = ExternalSorter(scratch: scratch, memoryBudget: memoryBudget)
        precondition(sources.count < Self.maxSources, "more sources than a sort key can number")
        for (index, layout) in ([destination] + sources).enumerated() {
            var lines = 0
            try Catalog.forEachEntryLine(in: layout) { (id, line, value) throws in
                lines += 1
                // SIGINT or SIGTERM while a million lines are read: stop here, nothing written yet.
                if lines % 4_096 == 0, Task.isCancelled { throw CancellationError() }
                try sorter.add(ExternalSorter.Record(key: SortKey.bytes(id, catalog: index, line: line), value: Array(value)))
            }
            // A source's album folders, as one more line each after its catalog's: a folder its
            // catalog does not list (a task killed between the folder and its entry) is merged from
            // its metadata, as the archiver itself would catalog it.
            guard index > 0 else { continue }
            for (count, name) in layout.directory.names().enumerated() {
                if count % 4_096 == 4_095, Task.isCancelled { throw CancellationError() }
                guard let id = ImgurID(name), Self.holdsAlbum(layout, id) else { continue }
                try sorter.add(ExternalSorter.Record(key: SortKey.bytes(id, catalog: index, line: SortKey.folderLine), value: []))
            }
        }
        let sameDevice = sources.map { !alwaysCopy && Self.device($0.root) == Self.device(destination.root) }
        var group: [(key: SortKey, value: [UInt8])] = []
        let recovered = SourceCatalogs()
        defer { recovered.closeAll() }
        func settleGroup() {
            guard let id = group.first?.key.id else { return }
            settle(id, group, sources: sources, sameDevice: sameDevice, catalogs: recovered, into: &outcome)
            group.removeAll(keepingCapacity: true)
        }
        try sorter.forEachSorted { (record) -> Bool in
            guard let key = SortKey(record.key) else { return true }
            if let current = group.first?.key.id, current != key.id {
                settleGroup()
                if Task.isCancelled { return false }
            }
            group.append((key, record.value))
            return true
        }
        if !Task.isCancelled { settleGroup() }
        try catalog.sync()
        return outcome
    }

    /// Settles one album from its catalog lines, sorted by catalog (0: the destination) then line.
    private func settle(
        _ id: ImgurID, _ lines: [(key: SortKey, value: [UInt8])], sources: [StorageLayout], sameDevice: [Bool],
        catalogs: SourceCatalogs, into outcome: inout Outcome
    ) {
        // The newest line of each catalog is its entry (the last value wins, as in any JSON parser).
        var newest: [Int: [UInt8]] = [:]
        var folderOnly: Set<Int> = []
        for line in lines {
            if line.key.line == SortKey.folderLine { folderOnly.insert(line.key.catalog) } else { newest[line.key.catalog] = line.value }
        }
        var present = newest[0].map { value in value.withUnsafeBufferPointer { CatalogEntry.summary(ofObject: $0) } }
        for (offset, source) in sources.enumerated() {
            guard let value = newest[offset + 1] else {
                if folderOnly.contains(offset + 1) {
                    recover(id, from: source, catalogs: catalogs, sameDevice: sameDevice[offset], present: &present, into: &outcome)
                }
                continue
            }
            outcome.entries += 1
            guard let json = try? JSONValue.parse(Data(value)) else {
                events.result(.failed, id.rawValue, "\(source.catalog): its entry is not valid JSON; left out")
                outcome.failed += 1
                continue
            }
            guard let entry = CatalogEntry(json: json) else {
                events.result(.failed, id.rawValue, "\(source.catalog): an entry without a status; left out")
                outcome.failed += 1
                continue
            }
            guard entry.id == id else {
                events.result(.failed, id.rawValue, "\(source.catalog): its entry is filed under \(id) but says \"id\": \(entry.id); left out")
                outcome.failed += 1
                continue
            }
            do {
                try merge(entry, verbatim: value, from: source, sameDevice: sameDevice[offset], present: &present, into: &outcome)
            } catch {
                events.result(.failed, id.rawValue, "from \(source.root): \(error); the next merge tries again")
                outcome.failed += 1
            }
        }
    }

    /// A source's album folder its catalog does not list: cataloged in its source first (durably,
    /// as the archiver itself would), so that a kill after it has moved leaves the source's line
    /// for the next merge; then merged like any entry. One the catalog could not list (unfinished,
    /// damaged, or of another album) is reported and left.
    private func recover(
        _ id: ImgurID, from source: StorageLayout, catalogs: SourceCatalogs, sameDevice: Bool, present: inout CatalogEntry.Summary?,
        into outcome: inout Outcome
    ) {
        outcome.entries += 1
        guard let entry = CatalogEntry.recovered(id, in: source), entry.status != .incomplete else {
            events.result(
                .failed, id.rawValue,
                "\(source.folder(id)) has no catalog entry and holds no archive its catalog could list (unfinished or damaged: "
                    + "imgur-archive -C \(source.root) verify says which); not merged")
            outcome.failed += 1
            return
        }
        do {
            try catalogs.catalog(of: source).append(entry)
            try merge(entry, verbatim: nil, from: source, sameDevice: sameDevice, present: &present, into: &outcome)
        } catch {
            events.result(.failed, id.rawValue, "from \(source.root): \(error); the next merge tries again")
            outcome.failed += 1
        }
    }

    /// The sources' catalogs opened for the entries `recover` adds, each once.
    final class SourceCatalogs {
        private var open: [String: Catalog] = [:]

        func catalog(of source: StorageLayout) throws -> Catalog {
            if let catalog = open[source.root] { return catalog }
            let catalog = try Catalog.open(in: source, indexed: false)
            open[source.root] = catalog
            return catalog
        }

        func closeAll() {
            for catalog in open.values { catalog.close() }
            open = [:]
        }
    }

    /// Where a catalog line sorts: by id, then catalog (0: the destination, then the sources in
    /// order), then line number. As bytes: the id, a 0 byte (no id holds one, so an id sorts before
    /// any longer id it begins), the catalog's number in 2 bytes and the line's in 8, big endian.
    struct SortKey: Equatable {
        var id: ImgurID
        var catalog: Int
        var line: Int
        /// The line number that stands for a source's album folder: after every catalog line.
        static let folderLine = Int.max

        static func bytes(_ id: ImgurID, catalog: Int, line: Int) -> [UInt8] {
            var bytes = Array(id.rawValue.utf8)
            bytes.append(0)
            bytes.append(contentsOf: [UInt8(catalog >> 8 & 0xFF), UInt8(catalog & 0xFF)])
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(UInt64(line) >> UInt64(shift) & 0xFF)) }
            return bytes
        }

        init?(_ bytes: [UInt8]) {
            guard bytes.count > 11, bytes[bytes.count - 11] == 0,
                let id = ImgurID(String(decoding: bytes[0..<(bytes.count - 11)], as: UTF8.self))
            else { return nil }
            self.id = id
            let tail = bytes[(bytes.count - 10)...]
            catalog = tail.prefix(2).reduce(0) { $0 << 8 | Int($1) }
            line = tail.suffix(8).reduce(0) { $0 << 8 | Int($1) }
        }
    }

    /// Settles `entry` of `source` (`verbatim`: its line's value, appended as it is) against what
    /// the destination holds (`present`, updated when the entry is appended).
    private func merge(
        _ entry: CatalogEntry, verbatim: [UInt8]?, from source: StorageLayout, sameDevice: Bool, present: inout CatalogEntry.Summary?,
        into outcome: inout Outcome
    ) throws {
        let id = entry.id
        if source.directory.isSymlink(id.rawValue) {
            events.result(.failed, id.rawValue, "\(source.folder(id)) is a symbolic link; not followed, not merged")
            outcome.failed += 1
            return
        }
        func append() throws {
            // Not flushed one by one: a crash loses at most entries the next merge appends again
            // from the source (a moved folder is found in its new place). Flushed at the end.
            // Byte for byte, unless the line reads differently to the catalog's own reader (a member
            // given twice: the first counts there, the last in a JSON parser): then as parsed.
            let same = verbatim?.withUnsafeBufferPointer { CatalogEntry.summary(ofObject: $0) } == entry.summary
            try catalog.append(entry, verbatim: same ? verbatim : nil, durable: false)
            present = entry.summary
        }
        let sourceFolder = Self.holdsAlbum(source, id)
        let destinationFolder = destination.hasAlbumFolder(id)
        // Brought here already (by an earlier merge that was cut short, or the same archive twice):
        // the destination's folder is this entry's album.
        if destinationFolder, holds(entry) {
            if present?.status == entry.status {
                events.result(.alreadyArchived, id.rawValue, "")
                outcome.alreadyThere += 1
            } else {
                try append()
                events.result(.archived, id.rawValue, "merged from \(source.root)")
                outcome.merged += 1
            }
            if sourceFolder, move { try removeSource(id, source) }
            return
        }
        if entry.status != .unavailable, !sourceFolder {
            events.result(
                .failed, id.rawValue,
                "\(source.root) lists it but its folder is not there (an earlier merge moved it elsewhere?); not merged")
            outcome.failed += 1
            return
        }
        guard let known = present else {
            if destinationFolder {
                // A folder here without an entry, of another archive of the album: never replaced.
                events.result(
                    .failed, id.rawValue,
                    "conflict: \(destination.folder(id)) is here without a catalog entry and is not the archive in \(source.root); both left as they are")
                outcome.conflicts += 1
                outcome.failed += 1
                return
            }
            if sourceFolder { try transfer(id, from: source, sameDevice: sameDevice) }
            try append()
            events.result(.archived, id.rawValue, "merged from \(source.root)")
            outcome.merged += 1
            return
        }
        guard let status = known.status else {
            events.result(.failed, id.rawValue, "conflict: the entry here has a status this version does not know; left as it is")
            outcome.conflicts += 1
            return
        }
        if !destinationFolder, status != .unavailable, sourceFolder {
            // Cataloged here, but its folder was set aside by a merge cut short: the source's comes in.
            try transfer(id, from: source, sameDevice: sameDevice)
            try append()
            events.result(.archived, id.rawValue, "merged from \(source.root)")
            outcome.merged += 1
            return
        }
        let theirs = Self.rank(entry.status)
        let ours = Self.rank(status)
        let ourDate = destinationFolder ? AlbumFolder.read(id, in: destination).metadata?.archivedAt : nil
        let newer = theirs == ours && ourDate.map { entry.recordedAt > $0 } == true && entry.status != .unavailable
        if sourceFolder, theirs > ours || newer {
            if destinationFolder {
                let aside = try setAside(id)
                events.result(.partial, id.rawValue, "conflict: the one from \(source.root) is \(theirs > ours ? "more complete" : "newer"); the one here moved to \(aside)")
            }
            try transfer(id, from: source, sameDevice: sameDevice)
            try append()
            outcome.merged += 1
            outcome.conflicts += 1
            return
        }
        if theirs == ours, !sourceFolder {
            events.result(.alreadyArchived, id.rawValue, "")
            outcome.alreadyThere += 1
            return
        }
        events.result(
            .partial, id.rawValue,
            "conflict: the one here is kept (\(status.rawValue)\(ourDate.map { ", archived \(Timestamp.iso8601($0))" } ?? "")); "
                + "\(source.root)/\(id) (\(entry.status.rawValue)) is left where it is")
        outcome.conflicts += 1
    }

    /// Whether the destination's folder of `entry`'s album is that archive: its metadata says the
    /// same status and the same `archived_at`.
    private func holds(_ entry: CatalogEntry) -> Bool {
        guard entry.status != .unavailable, let metadata = AlbumFolder.read(entry.id, in: destination).metadata else { return false }
        return metadata.archivedAt == entry.recordedAt && metadata.status == entry.status
    }

    /// Removes a source folder once it is copied and verified: renamed aside first, so a kill
    /// half way leaves a leftover (`.merge-removing-…`), never a folder that looks like an album.
    private func removeSource(_ id: ImgurID, _ source: StorageLayout) throws {
        let aside = ".merge-removing-\(id)-\(UUID().uuidString.prefix(8))"
        try source.directory.rename(id.rawValue, to: aside)
        try FileManager.default.removeItem(atPath: source.directory.path(aside))
    }

    /// Whether `layout` has an album folder of `id` with its metadata: a folder without it is what an
    /// interrupted removal left (or a run killed before its documents), not an album.
    static func holdsAlbum(_ layout: StorageLayout, _ id: ImgurID) -> Bool {
        layout.hasAlbumFolder(id) && FileManager.default.fileExists(atPath: layout.metadata(id))
    }

    /// complete > partial > metadata-only, media-only, incomplete > unavailable.
    static func rank(_ status: AlbumStatus) -> Int {
        switch status {
        case .complete: 4
        case .partial: 3
        case .metadataOnly, .mediaOnly, .incomplete: 2
        case .unavailable: 1
        }
    }

    /// Brings the folder of `id` into the destination: renamed on one filesystem; else copied
    /// beside it, every media file checked against its recorded SHA-256, then renamed into place.
    private func transfer(_ id: ImgurID, from source: StorageLayout, sameDevice: Bool) throws {
        if source.directory.isSymlink(id.rawValue) {
            throw ArchiveError.notMerged("\(source.folder(id)) is a symbolic link; not followed")
        }
        if sameDevice {
            if rename(source.folder(id), destination.folder(id)) == 0 {
                destination.directory.sync()
                return
            }
            // Two mounts of one filesystem (a container's bind mounts) cannot rename across: copy.
            guard errno == EXDEV else {
                throw ArchiveError.notMerged("cannot move \(source.folder(id)): \(String(cString: strerror(errno)))")
            }
        }
        let temporary = ".merge-\(id)-\(UUID().uuidString.prefix(8))"
        let path = destination.directory.path(temporary)
        try FileManager.default.copyItem(atPath: source.folder(id), toPath: path)
        let copy = try Directory.open(path)
        let reading = AlbumFolder.read(id, in: copy)
        guard let metadata = reading.metadata else {
            try? FileManager.default.removeItem(atPath: path)
            throw ArchiveError.notMerged("\(source.folder(id)): its metadata cannot be read")
        }
        for record in metadata.media where record.status == .ok {
            guard let file = record.file, let expected = record.sha256 else { continue }
            let digest = try SHA256.hexDigest(ofFileAt: copy.path(file))
            guard digest.hex == expected else {
                try? FileManager.default.removeItem(atPath: path)
                throw ArchiveError.notMerged("\(file) came over with another SHA-256 than its record's; nothing was moved")
            }
        }
        for name in copy.names() {
            if let file = try? copy.openForAppending(name) { try? file.sync() }
        }
        try destination.directory.rename(temporary, to: id.rawValue)
        destination.directory.sync()
        if move { try removeSource(id, source) }
    }

    /// Moves the destination's folder of `id` to `merge-conflicts/<ID>-<n>`; its relative path.
    private func setAside(_ id: ImgurID) throws -> String {
        let folder = try destination.directory.subdirectory(Self.conflictsFolder, create: true)
        var number = 1
        while folder.exists("\(id)-\(number)") { number += 1 }
        let name = "\(id)-\(number)"
        guard rename(destination.folder(id), folder.path(name)) == 0 else {
            throw ArchiveError.notMerged("cannot move \(destination.folder(id)) aside: \(String(cString: strerror(errno)))")
        }
        return "\(Self.conflictsFolder)/\(name)"
    }

    static func device(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_dev) : 0
    }
}

