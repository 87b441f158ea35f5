import DurableFiles
import Foundation
import ImgurAPI

/// One thing to archive and where the user named it.
public struct InputEntry: Sendable, Equatable {
    public let reference: ImgurReference
    /// "links.txt line 3" or "argument 2", for messages.
    public let origin: String

    public init(reference: ImgurReference, origin: String) {
        self.reference = reference
        self.origin = origin
    }
}

/// An entry that could not be used, reported with where it came from.
public struct InvalidInput: Sendable, Equatable, CustomStringConvertible {
    public let origin: String
    public let error: ImgurReference.ParseError

    public var description: String { "\(origin): \(error)" }
}

/// The inputs of a run, deduplicated in order.
public struct InputList: Sendable, Equatable {
    public private(set) var entries: [InputEntry] = []
    public private(set) var invalid: [InvalidInput] = []
    /// Entries dropped because an earlier one names the same album, image or user.
    public private(set) var duplicates = 0
    private var seen: Set<String> = []

    public init() {}

    /// Parses and adds one line or argument.
    public mutating func add(_ text: some StringProtocol, origin: String) {
        do {
            let reference = try ImgurReference.parse(text)
            let key = Self.key(reference)
            guard seen.insert(key).inserted else {
                duplicates += 1
                return
            }
            entries.append(InputEntry(reference: reference, origin: origin))
        } catch {
            invalid.append(InvalidInput(origin: origin, error: error))
        }
    }

    /// Albums, bare ids and gallery posts with the same id are the same request.
    private static func key(_ reference: ImgurReference) -> String {
        switch reference {
        case .album(let id), .albumOrImage(let id), .gallery(let id): "a:\(id)"
        case .image(let id): "i:\(id)"
        case .user(let name): "u:\(name.lowercased())"
        }
    }

    /// The longest line of links.txt that is read: no URL comes near it.
    public static let maxLineLength = 8192

    /// Reads `links.txt`: one entry per line; blank lines and `#` comments ignored; whitespace
    /// trimmed; streamed, so a file of any length costs the same memory per entry, and a line longer
    /// than `maxLineLength` is refused without being kept.
    /// - Parameter name: how lines are named in messages (`links.txt line 3`); the file's name by default.
    public static func read(linksFile path: String, name: String? = nil) throws(FileError) -> InputList {
        var list = InputList()
        try list.add(linksFile: path, name: name)
        return list
    }

    /// Adds the entries of a file in the links.txt format (`-i FILE`, several files add up).
    public mutating func add(linksFile path: String, name: String? = nil) throws(FileError) {
        var list = self
        defer { self = list }
        var number = 0
        let name = name ?? (path as NSString).lastPathComponent
        try LineReader(path: path).forEachLine(maxLength: Self.maxLineLength) { line in
            number += 1
            if line.truncated {
                list.invalid.append(InvalidInput(origin: "\(name) line \(number)", error: .tooLong(Self.maxLineLength)))
                return true
            }
            var text = String(decoding: line.bytes, as: UTF8.self)
            if number == 1, text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { list.add(trimmed, origin: "\(name) line \(number)") }
            return true
        }
    }
}
