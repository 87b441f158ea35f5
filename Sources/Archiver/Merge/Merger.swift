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

    let destination: StorageLayout
    let catalog: Catalog
    let events: any RunEvents
    /// Remove a source folder once it is copied and verified (a rename always moves).
    let move: Bool
    /// Copy and verify even on one filesystem (tests of the path a second filesystem takes).
    let alwaysCopy: Bool

    public init(destination: StorageLayout, catalog: Catalog, events: any RunEvents, move: Bool, alwaysCopy: Bool = false) {
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

    /// Merges the catalog and folders of `source` (whose lock the caller holds).
    public func merge(_ source: StorageLayout) throws -> Outcome {
        var outcome = Outcome()
        let sameDevice = !alwaysCopy && Self.device(source.root) == Self.device(destination.root)
        try Catalog.forEachEntry(in: source) { (id: ImgurID, value: JSONValue) throws in
            outcome.entries += 1
            guard let entry = CatalogEntry(json: value) else {
                events.result(.failed, id.rawValue, "\(source.catalog): an entry without a status; left out")
                outcome.failed += 1
                return
            }
            do {
                try merge(entry, from: source, sameDevice: sameDevice, into: &outcome)
            } catch {
                events.result(.failed, id.rawValue, "from \(source.root): \(error); the next merge tries again")
                outcome.failed += 1
            }
        }
        try catalog.sync()
        return outcome
    }

    private func merge(_ entry: CatalogEntry, from source: StorageLayout, sameDevice: Bool, into outcome: inout Outcome) throws {
        let id = entry.id
        if source.directory.isSymlink(id.rawValue) {
            events.result(.failed, id.rawValue, "\(source.folder(id)) is a symbolic link; not followed, not merged")
            outcome.failed += 1
            return
        }
        // A folder without its metadata is what an interrupted removal left: not an album.
        let sourceFolder = source.hasAlbumFolder(id) && FileManager.default.fileExists(atPath: source.metadata(id))
        let destinationFolder = destination.hasAlbumFolder(id)
        let present = catalog.summary(id)
        // Brought here already (by an earlier merge that was cut short, or the same archive twice):
        // the destination's folder is this entry's album.
        if destinationFolder, holds(entry) {
            if present?.status == entry.status {
                events.result(.alreadyArchived, id.rawValue, "")
                outcome.alreadyThere += 1
            } else {
                try catalog.append(entry, durable: false)
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
        guard let present else {
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
            // Not flushed one by one: a crash loses at most entries the next merge appends again
            // from the source (a moved folder is found in its new place). Flushed at the end.
            try catalog.append(entry, durable: false)
            events.result(.archived, id.rawValue, "merged from \(source.root)")
            outcome.merged += 1
            return
        }
        guard let status = present.status else {
            events.result(.failed, id.rawValue, "conflict: the entry here has a status this version does not know; left as it is")
            outcome.conflicts += 1
            return
        }
        if !destinationFolder, status != .unavailable, sourceFolder {
            // Cataloged here, but its folder was set aside by a merge cut short: the source's comes in.
            try transfer(id, from: source, sameDevice: sameDevice)
            try catalog.append(entry, durable: false)
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
            try catalog.append(entry, durable: false)
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

