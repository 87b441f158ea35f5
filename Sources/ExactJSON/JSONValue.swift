import Foundation

/// Any JSON value, kept exactly enough to write it back: nothing Imgur said is lost.
///
/// Numbers keep the text they were sent as (`JSONNumber`): 2^64, 1e-400 and π go back to disk digit
/// for digit; `int64Value` and `doubleValue` read them.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// An integer.
    public static func int(_ value: Int64) -> JSONValue { .number(JSONNumber(value)) }

    /// A number from a `Double`; `null` for NaN and the infinities (JSON has none).
    public static func double(_ value: Double) -> JSONValue {
        value.isFinite ? .number(JSONNumber(value)) : .null
    }

    /// Parses a complete JSON document (`JSONParser`: numbers kept as text, the last of repeated
    /// keys, bad UTF-8 and lone surrogates replaced with U+FFFD).
    /// - Throws: `JSONValue.ParseError` when `data` is not JSON.
    public static func parse(_ data: Data) throws(ParseError) -> JSONValue {
        try parseCounting(data).value
    }

    /// `parse`, with the number of strings in which something had to be replaced with U+FFFD.
    public static func parseCounting(_ data: Data) throws(ParseError) -> (value: JSONValue, repairedStrings: Int) {
        let result = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<(JSONValue, Int), ParseError> in
            var parser = JSONParser(raw.bindMemory(to: UInt8.self))
            do throws(JSONParser.Failure) {
                let value = try parser.document()
                return .success((value, parser.repairedStrings))
            } catch {
                return .failure(ParseError(offset: error.offset, reason: error.reason))
            }
        }
        return try result.get()
    }

    /// Why a text is not JSON.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "not JSON at byte \(offset): \(reason)" }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, or nil for anything else (including JSON `null` and the empty string's absence).
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The string when it is present and not empty: Imgur sends `""` where it means "absent" (`mp4`, `hls`).
    public var nonEmptyString: String? {
        guard let text = stringValue, !text.isEmpty else { return nil }
        return text
    }

    /// An integer, also from a whole number written with a fraction or exponent, or from a decimal
    /// string ("edited": "0").
    public var int64Value: Int64? {
        switch self {
        case .number(let number): return number.int64Value
        case .string(let text): return Int64(text)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        if case .number(let number) = self { return number.doubleValue }
        return nil
    }

    public var boolValue: Bool? {
        switch self {
        case .bool(let value): return value
        case .number(let number): return number.int64Value.map { $0 != 0 }
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// `.string(text)` or `.null` when `text` is nil.
    public static func optional(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }
}

/// A JSON number as it was written: the text is kept, so writing it back changes no digit.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// Valid JSON number syntax.
    public let text: String

    /// `text` as the parser found it (already checked).
    init(verbatim text: String) {
        self.text = text
    }

    public init(_ value: Int64) {
        text = String(value)
    }

    /// A finite `Double`, written as Swift prints it (shortest round-trip form).
    init(_ value: Double) {
        text = "\(value)"
    }

    public var description: String { text }

    private var isInteger: Bool { !text.contains { $0 == "." || $0 == "e" || $0 == "E" } }

    /// The value as an `Int64` when it is a whole number in range (`3`, `3.0`, `3e0`).
    public var int64Value: Int64? {
        if isInteger { return Int64(text) }
        guard let value = Double(text), value.rounded() == value, abs(value) < 9.2e18 else { return nil }
        return Int64(value)
    }

    /// The nearest `Double` (±infinity or 0 where the text is beyond its range).
    public var doubleValue: Double { Double(text) ?? .nan }

    /// Numbers are equal when they are the same integer, or else the same `Double`: `1` and `1.0`
    /// are equal, and so are two spellings of one value. The text is what is written back.
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.text == rhs.text { return true }
        if let left = lhs.exactInteger, let right = rhs.exactInteger { return left == right }
        return lhs.doubleValue == rhs.doubleValue
    }

    public func hash(into hasher: inout Hasher) {
        if let integer = exactInteger { hasher.combine(integer) } else { hasher.combine(doubleValue) }
    }

    /// An integer that an `Int64` holds exactly, whatever the spelling.
    private var exactInteger: Int64? {
        guard let value = int64Value, Double(value) == doubleValue || isInteger else { return nil }
        return value
    }
}

extension JSONValue: Codable {
    /// Through Foundation's coders (which hold numbers as `Int64` or `Double`); `parse` and
    /// `serialized` are the exact path.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let number):
            if let value = number.int64Value, !number.text.contains(".") { try container.encode(value) } else { try container.encode(number.doubleValue) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
