/// Walks one JSON document piece by piece from a byte source, so that a document larger than
/// memory should hold (an album answer with 300,000 images) never exists whole: the caller steps
/// into objects and arrays and takes each value it wants whole, one at a time, through a buffer
/// no larger than the largest such value (docs/design.md, "One large album").
///
/// Values are read by `JSONParser`, with its rules (numbers kept as text, the last of repeated
/// keys within a value, bad text replaced). Repeated keys of the objects the caller steps into are
/// the caller's to resolve.
public struct JSONStreamReader {
    /// Why the text is not JSON (or not readable within the limits), and where.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public let offset: Int64
        public let reason: String
        public var description: String { "not JSON at byte \(offset): \(reason)" }
    }

    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    private var buffer: [UInt8]
    /// `buffer[start..<end]` is read and not taken yet.
    private var start = 0
    private var end = 0
    /// Bytes of the document before `buffer[0]`.
    private var consumed: Int64 = 0
    private var atEnd = false
    private let valueLimit: Int
    /// How many bytes of text the last value `value()` took had.
    public private(set) var lastValueLength = 0
    /// Per container entered: whether it has had a member or element yet.
    private var hasMembers: [Bool] = []

    /// - Parameters:
    ///   - valueLimit: the largest value `value()` takes whole, in bytes.
    ///   - source: fills the buffer it is given from the start and says how many bytes it wrote;
    ///     0 at the end of the document.
    public init(valueLimit: Int = 64 << 20, source: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.valueLimit = valueLimit
        self.source = source
        buffer = [UInt8](repeating: 0, count: min(1 << 20, valueLimit + 1))
    }

    private func fail(_ reason: String, at index: Int? = nil) -> Failure {
        Failure(offset: consumed + Int64(index ?? start), reason: reason)
    }

    /// Reads more bytes after `end`; the bytes before `start` are dropped to make room.
    /// - Returns: false at the end of the document.
    private mutating func refill() throws -> Bool {
        guard !atEnd else { return false }
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { pointer in
                _ = pointer.baseAddress.map { $0.update(from: $0 + start, count: end - start) }
            }
            consumed += Int64(start)
            end -= start
            start = 0
        }
        if end == buffer.count {
            guard buffer.count < valueLimit + 1 else { throw fail("a value longer than \(valueLimit) bytes") }
            buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, valueLimit + 1 - buffer.count)))
        }
        let count = try buffer.withUnsafeMutableBytes { raw in
            try source(UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
        }
        if count <= 0 {
            atEnd = true
            return false
        }
        end += count
        return true
    }

    /// The next byte that is not white space, without taking it; nil at the end of the document.
    public mutating func peek() throws -> UInt8? {
        while true {
            while start < end {
                switch buffer[start] {
                case 0x20, 0x09, 0x0A, 0x0D: start += 1
                default: return buffer[start]
                }
            }
            guard try refill() else { return nil }
        }
    }

    private mutating func take(_ byte: UInt8, _ what: String) throws {
        guard try peek() == byte else { throw fail("expected \(what)") }
        start += 1
    }

    /// Steps into the object that comes next.
    public mutating func enterObject() throws {
        try take(UInt8(ascii: "{"), "an object")
        hasMembers.append(false)
    }

    /// Steps into the array that comes next.
    public mutating func enterArray() throws {
        try take(UInt8(ascii: "["), "an array")
        hasMembers.append(false)
    }

    /// The next key of the object stepped into last, its `:` taken (its value comes next); nil at
    /// the object's end, which is then left.
    public mutating func nextKey() throws -> String? {
        guard try nextMember(closing: UInt8(ascii: "}")) else { return nil }
        guard try peek() == UInt8(ascii: "\""), case .string(let key) = try value() else { throw fail("expected a key") }
        try take(UInt8(ascii: ":"), "':'")
        return key
    }

    /// Whether the array stepped into last has another element (which comes next); false at its
    /// end, which is then left.
    public mutating func nextElement() throws -> Bool {
        try nextMember(closing: UInt8(ascii: "]"))
    }

    private mutating func nextMember(closing: UInt8) throws -> Bool {
        guard let had = hasMembers.last else { throw fail("not inside an object or array") }
        guard let byte = try peek() else { throw fail("unexpected end") }
        if byte == closing {
            start += 1
            hasMembers.removeLast()
            return false
        }
        if had {
            guard byte == UInt8(ascii: ",") else { throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))'") }
            start += 1
        }
        hasMembers[hasMembers.count - 1] = true
        return true
    }

    /// The value that comes next, whole.
    public mutating func value() throws -> JSONValue {
        guard let first = try peek() else { throw fail("unexpected end") }
        var scan = ValueScan(first: first)
        var index = start + 1
        while !scan.finished {
            if index == end {
                let offset = index - start
                guard try refill() else {
                    guard scan.endsAtEnd else { throw fail("unexpected end") }
                    break
                }
                index = start + offset
                continue
            }
            // A scalar's limit leaves room for the byte after it, which ends it.
            if index - start > valueLimit { throw fail("a value longer than \(valueLimit) bytes") }
            scan.step(buffer[index])
            index += 1
        }
        let length = index - start - (scan.overran ? 1 : 0)
        let parsed = buffer.withUnsafeBufferPointer { pointer -> Result<JSONValue, JSONParser.Failure> in
            var parser = JSONParser(UnsafeBufferPointer(rebasing: pointer[start..<(start + length)]))
            do throws(JSONParser.Failure) { return .success(try parser.document()) } catch { return .failure(error) }
        }
        switch parsed {
        case .success(let value):
            start += length
            lastValueLength = length
            return value
        case .failure(let failure):
            throw fail(failure.reason, at: start + failure.offset)
        }
    }

    /// Only white space is left after the document.
    public mutating func finish() throws {
        guard hasMembers.isEmpty else { throw fail("unexpected end") }
        if try peek() != nil { throw fail("text after the value") }
    }
}

/// Finds where one value ends, byte by byte: strings (with their escapes) and nesting.
private struct ValueScan {
    private enum Kind { case scalar, string, container }
    private let kind: Kind
    private var depth = 1
    private var inString: Bool
    private var escaped = false
    private(set) var finished = false
    /// A scalar ends at the byte after it, which is not part of it.
    private(set) var overran = false

    init(first: UInt8) {
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["): kind = .container; inString = false
        case UInt8(ascii: "\""): kind = .string; inString = true
        default: kind = .scalar; inString = false
        }
    }

    /// A scalar may end with the document.
    var endsAtEnd: Bool { kind == .scalar }

    mutating func step(_ byte: UInt8) {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
                if kind == .string { finished = true }
            }
            return
        }
        switch kind {
        case .scalar:
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D:
                finished = true
                overran = true
            default: break
            }
        case .container:
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { finished = true }
            default: break
            }
        case .string: break
        }
    }
}
