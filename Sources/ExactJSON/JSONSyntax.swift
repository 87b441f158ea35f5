import Foundation

/// Checks that bytes are one JSON value, without building it: the catalog is validated line by line
/// at start-up, and at 100,000 entries building objects would cost seconds and hundreds of MB.
public enum JSONSyntax {
    /// The index just past the JSON value starting at `start` (after leading whitespace), or nil
    /// when the bytes there are not a complete JSON value.
    public static func valueEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var scanner = Scanner(bytes: bytes, index: start)
        guard scanner.value(depth: 0) else { return nil }
        return scanner.index
    }

    /// True when `bytes` hold exactly one JSON object, surrounded by nothing but whitespace.
    public static func isObject(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var scanner = Scanner(bytes: bytes, index: 0)
        scanner.skipSpace()
        guard scanner.peek == UInt8(ascii: "{"), scanner.value(depth: 0) else { return false }
        scanner.skipSpace()
        return scanner.index == bytes.count
    }

    /// The values of the top-level members `first` and `second` of the JSON object starting at
    /// `start`, each when it is a string (its first occurrence); nil where the member is absent or
    /// not a string, both nil when the bytes are not an object. One pass, which stops once both are
    /// found, and allocates nothing but the strings found (the catalog reads each entry's `kind`
    /// and `status` this way at start-up, 100,000 of them, without parsing the entries).
    public static func stringMembers(
        _ first: StaticString, _ second: StaticString, in bytes: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> (String?, String?) {
        var found: (first: String??, second: String??) = (nil, nil)
        var scanner = Scanner(bytes: bytes, index: start)
        scanner.skipSpace()
        guard scanner.peek == UInt8(ascii: "{") else { return (nil, nil) }
        scanner.index += 1
        while found.first == nil || found.second == nil {
            scanner.skipSpace()
            guard scanner.peek == UInt8(ascii: "\""), case let nameStart = scanner.index, scanner.string() else { break }
            let name = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[(nameStart + 1)..<(scanner.index - 1)])
            scanner.skipSpace()
            guard scanner.peek == UInt8(ascii: ":") else { break }
            scanner.index += 1
            scanner.skipSpace()
            let valueStart = scanner.index
            guard scanner.value(depth: 1) else { break }
            let value = UnsafeBufferPointer(rebasing: bytes[valueStart..<scanner.index])
            if found.first == nil, Self.equal(name, first) {
                found.first = .some(stringValue(value))
            } else if found.second == nil, Self.equal(name, second) {
                found.second = .some(stringValue(value))
            }
            scanner.skipSpace()
            guard scanner.peek == UInt8(ascii: ",") else { break }
            scanner.index += 1
        }
        return (found.first ?? nil, found.second ?? nil)
    }

    private static func equal(_ name: UnsafeRawBufferPointer, _ key: StaticString) -> Bool {
        name.count == key.utf8CodeUnitCount
            && (name.isEmpty || memcmp(name.baseAddress!, key.utf8Start, name.count) == 0)
    }

    /// The text of a JSON value when it is a string literal (quotes included in `literal`).
    private static func stringValue(_ literal: UnsafeBufferPointer<UInt8>) -> String? {
        guard literal.first == UInt8(ascii: "\"") else { return nil }
        let raw = UnsafeBufferPointer(rebasing: literal[(literal.startIndex + 1)..<(literal.endIndex - 1)])
        if !raw.contains(UInt8(ascii: "\\")) { return String(decoding: raw, as: UTF8.self) }
        return (try? JSONValue.parse(Data(literal)))?.stringValue
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func value(depth: Int) -> Bool {
            guard depth < 64 else { return false }
            skipSpace()
            guard let byte = peek else { return false }
            switch byte {
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        private mutating func object(depth: Int) -> Bool {
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "}") {
                index += 1
                return true
            }
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\""), string() else { return false }
                skipSpace()
                guard peek == UInt8(ascii: ":") else { return false }
                index += 1
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                switch peek {
                case UInt8(ascii: ",")?: index += 1
                case UInt8(ascii: "}")?:
                    index += 1
                    return true
                default: return false
                }
            }
        }

        private mutating func array(depth: Int) -> Bool {
            index += 1
            skipSpace()
            if peek == UInt8(ascii: "]") {
                index += 1
                return true
            }
            while true {
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                switch peek {
                case UInt8(ascii: ",")?: index += 1
                case UInt8(ascii: "]")?:
                    index += 1
                    return true
                default: return false
                }
            }
        }

        mutating func string() -> Bool {
            index += 1
            while let byte = peek {
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return true
                case UInt8(ascii: "\\"):
                    guard let escaped = peek else { return false }
                    index += 1
                    if escaped == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            guard let hex = peek, Self.isHex(hex) else { return false }
                            index += 1
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                        return false
                    }
                case 0x00..<0x20: return false
                case 0x80...0xFF:
                    guard utf8Sequence(lead: byte) else { return false }
                default: continue
                }
            }
            return false
        }

        /// Checks the continuation bytes after `lead` (already consumed): well-formed UTF-8 only
        /// (no overlong forms, no surrogates, nothing past U+10FFFF), as strict JSON parsers demand.
        private mutating func utf8Sequence(lead: UInt8) -> Bool {
            let count: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 1
            case 0xE0: count = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 2
            case 0xED: count = 2; high = 0x9F
            case 0xF0: count = 3; low = 0x90
            case 0xF1...0xF3: count = 3
            case 0xF4: count = 3; high = 0x8F
            default: return false
            }
            for position in 0..<count {
                guard let next = peek, next >= (position == 0 ? low : 0x80), next <= (position == 0 ? high : 0xBF) else {
                    return false
                }
                index += 1
            }
            return true
        }

        private mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        private mutating func number() -> Bool {
            let start = index
            if peek == UInt8(ascii: "-") { index += 1 }
            guard let first = peek, Self.isDigit(first) else { return false }
            if first == UInt8(ascii: "0") {
                index += 1
            } else {
                digits()
            }
            if peek == UInt8(ascii: ".") {
                index += 1
                guard let next = peek, Self.isDigit(next) else { return false }
                digits()
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                index += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                guard let next = peek, Self.isDigit(next) else { return false }
                digits()
            }
            return index > start
        }

        private mutating func digits() {
            while let byte = peek, Self.isDigit(byte) { index += 1 }
        }

        private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        private static func isHex(_ byte: UInt8) -> Bool {
            isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
        }
    }
}
