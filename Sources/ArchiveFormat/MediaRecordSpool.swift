import DurableFiles
import ExactJSON
import Foundation

/// An album's media records in album order, in an unnamed file (`Spool`) instead of memory: how
/// the first archiving of an album of 300,000 images keeps memory flat (docs/design.md, "One large
/// album"). One compact line per record: the record as `metadata_` writes it, with its title and
/// description.
public struct MediaRecordSpool: Sendable {
    private let spool: Spool
    /// Where the spool's unnamed file is (a record spool made from this one goes there too).
    public let directory: Directory
    /// What the records add up to (`AlbumMetadata.status(of:)`), kept as they are appended.
    private var sizeMismatch = false
    private var notDownloaded = false
    private var lost = false

    public init(in directory: Directory) throws(FileError) {
        spool = try Spool(in: directory)
        self.directory = directory
    }

    public var count: Int { spool.lineCount }

    public var status: AlbumStatus {
        sizeMismatch ? .incomplete : notDownloaded ? .metadataOnly : lost ? .partial : .complete
    }

    /// Appends the record of the next position.
    public mutating func append(_ record: MediaRecord) throws(FileError) {
        sizeMismatch = sizeMismatch || record.status == .sizeMismatch
        notDownloaded = notDownloaded || record.status == .notDownloaded
        lost = lost || record.status.isLost
        let line: JSONValue = ["r": record.json, "t": .optional(record.title), "d": .optional(record.description)]
        try spool.appendLine(Array(line.serialized(.compact)))
    }

    /// Calls `body` with each record, in album order.
    public func forEach(_ body: (MediaRecord) throws -> Void) throws {
        var lines = try spool.lines()
        var problems: [DocumentProblem] = []
        var index = 0
        while let line = try lines.next() {
            let item = try JSONValue.parse(line)
            guard let json = item["r"], var record = AlbumFolder.decodeRecord(json, index: index, name: "a record spool", problems: &problems) else {
                throw FormatError.document(path: "a record spool", reason: "record \(index + 1) does not read back")
            }
            record.title = item["t"]?.stringValue
            record.description = item["d"]?.stringValue
            try body(record)
            index += 1
        }
    }
}

extension MediaRecordSpool: Equatable {
    /// The same records in the same order (read back: for tests and checks).
    public static func == (lhs: MediaRecordSpool, rhs: MediaRecordSpool) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var left: [MediaRecord] = []
        var right: [MediaRecord] = []
        guard (try? lhs.forEach { left.append($0) }) != nil, (try? rhs.forEach { right.append($0) }) != nil else { return false }
        return left == right
    }
}
