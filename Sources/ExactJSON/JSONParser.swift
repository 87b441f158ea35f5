import Foundation

/// Reads JSON into `JSONValue`, keeping what was sent: numbers as their text (2^64, 1e400 and
/// 30-digit integers come back digit for digit), the last of repeated keys (as Python and jq do),
/// and strings whose bytes are not valid UTF-8, or that hold a lone surrogate escape, with U+FFFD
/// in place of the bad part instead of refusing the whole answer (docs/design.md, "Threat model").
struct JSONParser {
    /// Why the text is not JSON, and where.
    struct Failure: Error, Equatable, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "not JSON at byte \(offset): \(reason)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// Strings in which something had to be replaced with U+FFFD.
    private(set) var repairedStrings = 0

    /// Deeper nesting is refused: nothing Imgur sends comes near, and recursion must stay bounded.
    static let maxDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() throws(Failure) -> JSONValue {
        skipSpace()
        let value = try self.value(depth: 0)
        skipSpace()
        guard index == bytes.count else { throw fail("text after the value") }
        return value
    }

    private func fail(_ reason: String) -> Failure {
        Failure(offset: index, reason: reason)
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) deep") }
        guard let byte = peek else { throw fail("unexpected end") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw fail("not a value") }
        index += count
        return value
    }

    private mutating func object(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        skipSpace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try string()
            skipSpace()
            guard peek == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipSpace()
            // The last of repeated keys wins, as in Python's json and jq.
            members[key] = try value(depth: depth + 1)
            skipSpace()
            switch peek {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "}")?:
                index += 1
                return .object(members)
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipSpace()
        if peek == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            switch peek {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "]")?:
                index += 1
                return .array(items)
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    private mutating func number() throws(Failure) -> JSONNumber {
        let start = index
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, Self.isDigit(first) else { throw fail("not a value") }
        index += 1
        if first != UInt8(ascii: "0") { while let byte = peek, Self.isDigit(byte) { index += 1 } }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard let byte = peek, Self.isDigit(byte) else { throw fail("a digit must follow '.'") }
            while let byte = peek, Self.isDigit(byte) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek, Self.isDigit(byte) else { throw fail("a digit must follow the exponent") }
            while let byte = peek, Self.isDigit(byte) { index += 1 }
        }
        return JSONNumber(verbatim: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    private mutating func string() throws(Failure) -> String {
        index += 1
        let start = index
        // Fast path: no escape, valid UTF-8 (checked by String's own decoding below).
        var plain = true
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") { plain = false; break }
            if byte < 0x20 { throw fail("a control character inside a string") }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        if plain {
            guard index < bytes.count else { throw fail("unterminated string") }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
            index += 1
            return decode(raw, ascii: ascii)
        }
        index = start
        var scalars = String.UnicodeScalarView()
        var run = start
        var repaired = false
        func flush(_ end: Int) {
            guard end > run else { return }
            let piece = decode(UnsafeBufferPointer(rebasing: bytes[run..<end]), ascii: false, counting: false)
            if piece.unicodeScalars.contains("\u{FFFD}"), !Self.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[run..<end])) {
                repaired = true
            }
            scalars.append(contentsOf: piece.unicodeScalars)
        }
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush(index)
                index += 1
                break
            }
            if byte < 0x20 { throw fail("a control character inside a string") }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            flush(index)
            index += 1
            guard let escaped = peek else { throw fail("unterminated string") }
            index += 1
            switch escaped {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                let unit = try hex4()
                if (0xD800...0xDBFF).contains(unit), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    let save = index
                    index += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low), let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) {
                        scalars.append(scalar)
                        break
                    }
                    index = save
                }
                if let scalar = Unicode.Scalar(unit) {
                    scalars.append(scalar)
                } else {
                    // A lone surrogate has no character: U+FFFD keeps the rest of the text.
                    scalars.append("\u{FFFD}")
                    repaired = true
                }
            default: throw fail("an unknown escape")
            }
            run = index
        }
        if repaired { repairedStrings += 1 }
        return String(scalars)
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("unterminated escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw fail("not a hex digit")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// UTF-8 as a String; invalid sequences become U+FFFD (and are counted).
    private mutating func decode(_ raw: UnsafeBufferPointer<UInt8>, ascii: Bool, counting: Bool = true) -> String {
        if !ascii, counting, !Self.isValidUTF8(raw) { repairedStrings += 1 }
        return String(decoding: raw, as: UTF8.self)
    }

    static func isValidUTF8(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = raw.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
