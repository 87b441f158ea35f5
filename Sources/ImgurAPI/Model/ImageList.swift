import DurableFiles
import ExactJSON
import Foundation

/// An album's `images` exactly as the API listed them, usable or not, in order: in memory while
/// few, in a `Spool` (one compact line per item) past that. An album of 300,000 images costs the
/// memory of a thousand (docs/design.md, "One large album").
public struct ImageList: Sendable {
    private var items: [JSONValue]
    private var spool: Spool?
    private let directory: Directory?
    /// Items, and bytes of their text, kept in memory before the list moves to disk.
    private let memoryLimit: Int
    private static let memoryBytes = 1 << 20
    private var bytesInMemory = 0
    public private(set) var count: Int

    /// A list held in memory (an answer that was small, or a listing's album).
    public init(_ items: [JSONValue] = []) {
        self.items = items
        count = items.count
        directory = nil
        memoryLimit = .max
        spool = nil
    }

    /// An empty list that moves to an unnamed file of `directory` past `memoryLimit` items.
    public init(spillingIn directory: Directory, after memoryLimit: Int = 1000) {
        items = []
        count = 0
        self.directory = directory
        self.memoryLimit = memoryLimit
        spool = nil
    }

    /// The array that comes next in `reader`, item by item, in a list that moves to disk in
    /// `directory` as `append` says; `each` sees every item on the way.
    public static func reading(
        _ reader: inout JSONStreamReader, spillingIn directory: Directory, each: (JSONValue) -> Void = { _ in }
    ) throws -> ImageList {
        var list = ImageList(spillingIn: directory)
        try reader.enterArray()
        while try reader.nextElement() {
            let item = try reader.value()
            each(item)
            try list.append(item, bytes: reader.lastValueLength)
        }
        return list
    }

    /// Whether the items are on disk.
    public var isSpooled: Bool { spool != nil }

    /// The items, when they are in memory.
    public var itemsInMemory: [JSONValue]? { spool == nil ? items : nil }

    /// Appends the next item.
    /// - Parameter bytes: the length of its text as received, when known: a list moves to disk
    ///   past 1,000 items or past 1 MiB of text, whichever comes first.
    public mutating func append(_ item: JSONValue, bytes: Int = 0) throws(FileError) {
        count += 1
        bytesInMemory += bytes
        if spool == nil, items.count < memoryLimit, bytesInMemory <= Self.memoryBytes {
            items.append(item)
            return
        }
        if spool == nil, let directory {
            // A folder that cannot be written to (a read-only copy being verified) spills to the
            // temporary directory; when neither can be, the list stays in memory.
            guard let spool = Self.spool(in: directory) else {
                items.append(item)
                return
            }
            for item in items { try spool.appendLine(Array(item.serialized(.compact))) }
            items = []
            self.spool = spool
        }
        guard let spool else { return items.append(item) }
        try spool.appendLine(Array(item.serialized(.compact)))
    }

    private static func spool(in directory: Directory) -> Spool? {
        if let spool = try? Spool(in: directory) { return spool }
        guard let temporary = try? Directory.open(NSTemporaryDirectory()) else { return nil }
        return try? Spool(in: temporary)
    }

    /// Calls `body` with each item, in the API's order.
    public func forEach(_ body: (JSONValue) throws -> Void) throws {
        var items = try makeIterator()
        while let item = try items.next() { try body(item) }
    }

    /// The items one by one, in the API's order.
    public func makeIterator() throws(FileError) -> Iterator {
        Iterator(items: spool == nil ? items : [], lines: try spool?.lines())
    }

    /// Reads the items back in order (from the spool, line by line).
    public struct Iterator {
        let items: [JSONValue]
        var lines: Spool.Lines?
        var index = 0

        /// The next item; nil after the last.
        public mutating func next() throws -> JSONValue? {
            guard lines != nil else {
                guard index < items.count else { return nil }
                defer { index += 1 }
                return items[index]
            }
            guard let line = try lines?.next() else { return nil }
            return try JSONValue.parse(line)
        }
    }
}

extension ImageList: Equatable {
    /// The same items in the same order (read back from disk when spooled: for tests and checks).
    public static func == (lhs: ImageList, rhs: ImageList) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if let left = lhs.itemsInMemory, let right = rhs.itemsInMemory { return left == right }
        var left: [JSONValue] = []
        var right: [JSONValue] = []
        guard (try? lhs.forEach { left.append($0) }) != nil, (try? rhs.forEach { right.append($0) }) != nil else { return false }
        return left == right
    }
}
