import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurAPI

/// `AlbumFolder.keepingRemoved` in one pass puts every record where inserting the removed ones one
/// by one, in position order, put it (the rule it replaced, quadratic when a large album shrank).
struct KeepingRemovedTests {
    private static func record(_ id: String, at position: Int) -> MediaRecord {
        MediaRecord(position: position, id: ImgurID(id)!, type: "image/jpeg", apiSize: 1, status: .ok, file: "\(id).jpg", bytes: 1)
    }

    private static func album(_ media: [MediaRecord]) -> AlbumMetadata {
        AlbumMetadata(
            kind: .album, id: ImgurID("Album01")!, title: nil, description: nil, published: nil, status: .complete,
            archivedAt: Date(timeIntervalSince1970: 0), sourceURL: "", media: media, api: .null)
    }

    /// The rule as it was written before: each removed record inserted at min(position - 1, count).
    private static func insertedOneByOne(_ old: [MediaRecord], _ new: [MediaRecord], at date: Date) -> [String] {
        let listed = Set(new.map(\.id))
        var merged = new
        for record in old.sorted(by: { $0.position < $1.position }) where !listed.contains(record.id) {
            merged.insert(record, at: min(max(0, record.position - 1), merged.count))
        }
        return merged.map(\.id.rawValue)
    }

    @Test func removedRecordsKeepTheirPlacesAsInsertingThemOneByOneDid() throws {
        var generator = SeededGenerator(seed: 20261202)  // the same rounds on every run
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let scratch = try Directory.open(path)
        for round in 0..<300 {
            let oldCount = Int.random(in: 0...12, using: &generator)
            var old = (0..<oldCount).map { Self.record(String(format: "Old%04d", $0), at: $0 + 1) }
            for index in old.indices where Bool.random(using: &generator) { old[index].title = "old title" }
            var new = old.filter { _ in Bool.random(using: &generator) }.shuffled(using: &generator)
            new += (0..<Int.random(in: 0...4, using: &generator)).map { Self.record(String(format: "New%04d", $0), at: 0) }
            new.shuffle(using: &generator)
            new = new.enumerated().map { index, record in
                var placed = record
                placed.position = index + 1
                placed.description = Bool.random(using: &generator) ? "now described" : nil
                return placed
            }
            let result = try AlbumFolder.keepingRemoved(Self.album(old), in: Self.album(new), at: date).media
            #expect(result.map(\.id.rawValue) == Self.insertedOneByOne(old, new, at: date), "round \(round)")
            #expect(result.map(\.position) == Array(stride(from: 1, through: result.count, by: 1)))
            let listed = Set(new.map(\.id))
            #expect(result.filter { !listed.contains($0.id) }.allSatisfy { $0.removedUpstreamAt == date })
            #expect(result.filter { listed.contains($0.id) }.allSatisfy { $0.removedUpstreamAt == nil })
            // The new records on disk (a long album): the same records, on disk too, and the same changes.
            let spooled = try Self.spooled(new, in: scratch)
            let fromDisk = try AlbumFolder.keepingRemoved(Self.album(old), in: spooled, at: date)
            #expect(fromDisk.media.isEmpty)
            var read: [MediaRecord] = []
            try fromDisk.forEachMedia { read.append($0) }
            #expect(read == result, "round \(round)")
            #expect(try AlbumChange.between(Self.album(old), spooled, at: date) == AlbumChange.between(Self.album(old), Self.album(new), at: date))
        }
    }

    private static func spooled(_ media: [MediaRecord], in directory: Directory) throws -> AlbumMetadata {
        var album = album([])
        var spool = try MediaRecordSpool(in: directory)
        for record in media { try spool.append(record) }
        album.spooledMedia = spool
        return album
    }

    /// Positions repeated, 0 or negative (a hand-edited document): the records keep their order
    /// (inserting them one by one at the same place reversed it).
    @Test func recordsWithTheSamePlaceKeepTheirOrder() throws {
        let old = [Self.record("GoneAAA", at: 1), Self.record("GoneBBB", at: 1), Self.record("GoneCCC", at: 0),
                   Self.record("GoneDDD", at: -3), Self.record("KeptAAA", at: 2)]
        let new = [Self.record("KeptAAA", at: 1)]
        let result = try AlbumFolder.keepingRemoved(Self.album(old), in: Self.album(new), at: Date()).media
        #expect(result.map(\.id.rawValue) == ["GoneDDD", "GoneCCC", "GoneAAA", "GoneBBB", "KeptAAA"])
        #expect(result.map(\.position) == [1, 2, 3, 4, 5])
    }

    @Test func aRecordAlreadyMarkedRemovedKeepsItsDate() throws {
        var gone = Self.record("Gone001", at: 2)
        let earlier = Date(timeIntervalSince1970: 1_600_000_000)
        gone.removedUpstreamAt = earlier
        let old = [Self.record("Kept001", at: 1), gone, Self.record("Kept002", at: 3)]
        let new = [Self.record("Kept001", at: 1), Self.record("Kept002", at: 2)]
        let result = try AlbumFolder.keepingRemoved(Self.album(old), in: Self.album(new), at: Date()).media
        #expect(result.map(\.id.rawValue) == ["Kept001", "Gone001", "Kept002"])
        #expect(result.map(\.position) == [1, 2, 3])
        #expect(result[1].removedUpstreamAt == earlier)
    }
}
