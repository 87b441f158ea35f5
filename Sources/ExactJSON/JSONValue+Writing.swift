import Foundation

extension JSONValue {
    /// How `serialized(_:)` lays the text out.
    public enum Layout: Sendable {
        /// Two-space indentation, one member per line, a final newline: for files people read.
        case pretty
        /// One line, no spaces, no newline: for JSON Lines style records.
        case compact
    }

    /// Deterministic UTF-8 JSON: keys sorted (numerically when every key is a decimal integer, so
    /// `script_` files list 1, 2, ... 10 in order), slashes not escaped, integers exact.
    /// - Parameter leadingKeys: top-level keys written first, in this order (the rest follow sorted),
    ///   so that a document's important fields come before a long raw section.
    public func serialized(_ layout: Layout = .pretty, leadingKeys: [String] = []) -> Data {
        var writer = Writer(layout: layout)
        writer.leadingKeys = leadingKeys
        writer.write(self, depth: 0)
        if layout == .pretty { writer.bytes.append(0x0A) }
        return Data(writer.bytes)
    }

    /// Object keys in the order `serialized` writes them.
    public static func orderedKeys(_ members: [String: JSONValue]) -> [String] {
        let keys = Array(members.keys)
        let numbers = keys.map { key -> UInt64? in
            guard !key.isEmpty, key.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return UInt64(key)
        }
        if numbers.allSatisfy({ $0 != nil }) {
            return zip(keys, numbers).sorted { ($0.1 ?? 0, $0.0) < ($1.1 ?? 0, $1.0) }.map(\.0)
        }
        // Byte order, not locale order: the same on every machine.
        return keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// Writes one JSON object member by member into `output`, in pieces of about 1 MiB, so that a
/// document with 300,000 media records never exists whole in memory. The same layout, key order
/// and escaping as `JSONValue.serialized`.
public struct JSONObjectStream {
    private var writer: Writer
    private var members = 0

    /// - Parameter output: receives the text in order; called with each full piece and the rest at
    ///   `finish()`.
    public init(_ layout: JSONValue.Layout = .pretty, output: @escaping (UnsafeRawBufferPointer) -> Void) {
        writer = Writer(layout: layout)
        writer.output = output
        writer.bytes.append(UInt8(ascii: "{"))
    }

    private mutating func key(_ key: String) {
        if members > 0 { writer.bytes.append(UInt8(ascii: ",")) }
        members += 1
        writer.newline(1)
        writer.writeString(key)
        writer.appendText(writer.layout == .pretty ? ": " : ":")
    }

    /// One member, its value written whole.
    public mutating func member(_ name: String, _ value: JSONValue) {
        key(name)
        writer.write(value, depth: 1)
        writer.flushIfFull()
    }

    /// A member whose value is an array, written element by element as `elements` produces them.
    public mutating func arrayMember<Elements: Sequence>(_ name: String, _ elements: Elements)
    where Elements.Element == JSONValue {
        arrayMember(name) { emit in elements.forEach(emit) }
    }

    /// A member whose value is an array, its elements handed to `emit` one by one by `elements`
    /// (a list read back from a spool).
    public mutating func arrayMember<Failure: Error>(
        _ name: String, producing elements: (_ emit: (JSONValue) -> Void) throws(Failure) -> Void
    ) throws(Failure) {
        key(name)
        try streamArray(depth: 1, elements)
    }

    /// A member whose value is an object: `members` written whole, and among them, in key order,
    /// `arrayKey`, an array whose elements `elements` hands to `emit` one by one.
    public mutating func objectMember<Failure: Error>(
        _ name: String, _ members: [String: JSONValue], array arrayKey: String,
        producing elements: (_ emit: (JSONValue) -> Void) throws(Failure) -> Void
    ) throws(Failure) {
        key(name)
        var all = members
        all[arrayKey] = .null
        writer.bytes.append(UInt8(ascii: "{"))
        for (index, key) in JSONValue.orderedKeys(all).enumerated() {
            if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            writer.newline(2)
            writer.writeString(key)
            writer.appendText(writer.layout == .pretty ? ": " : ":")
            if key == arrayKey {
                try streamArray(depth: 2, elements)
            } else {
                writer.write(members[key] ?? .null, depth: 2)
                writer.flushIfFull()
            }
        }
        writer.newline(1)
        writer.bytes.append(UInt8(ascii: "}"))
    }

    /// An array at `depth`, element by element.
    private mutating func streamArray<Failure: Error>(
        depth: Int, _ elements: (_ emit: (JSONValue) -> Void) throws(Failure) -> Void
    ) throws(Failure) {
        var count = 0
        writer.bytes.append(UInt8(ascii: "["))
        try elements { element in
            if count > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            count += 1
            writer.newline(depth + 1)
            writer.write(element, depth: depth + 1)
            writer.flushIfFull()
        }
        if count > 0 { writer.newline(depth) }
        writer.bytes.append(UInt8(ascii: "]"))
    }

    /// Members written at the top level as `members` produces them, in that order (the caller
    /// gives them in `JSONValue.orderedKeys` order).
    public mutating func members<Members: Sequence>(_ members: Members) where Members.Element == (String, JSONValue) {
        for (name, value) in members { member(name, value) }
    }

    /// Closes the object (and, pretty, ends the text with a newline) and hands over the rest.
    public mutating func finish() {
        if members > 0 { writer.newline(0) }
        writer.bytes.append(UInt8(ascii: "}"))
        if writer.layout == .pretty { writer.bytes.append(0x0A) }
        writer.flush()
    }
}

private struct Writer {
    let layout: JSONValue.Layout
    var leadingKeys: [String] = []
    var bytes: [UInt8] = []
    /// Where full pieces go when streaming (nil: `bytes` holds the whole text).
    var output: ((UnsafeRawBufferPointer) -> Void)?
    static let piece = 1 << 20

    init(layout: JSONValue.Layout) {
        self.layout = layout
        bytes.reserveCapacity(256)
    }

    mutating func flushIfFull() {
        if output != nil, bytes.count >= Self.piece { flush() }
    }

    mutating func flush() {
        guard let output, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { output($0) }
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func appendText(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func write(_ value: JSONValue, depth: Int) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .number(let number): append(number.text)
        case .string(let text): writeString(text)
        case .array(let items):
            guard !items.isEmpty else { return append("[]") }
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                write(item, depth: depth + 1)
                flushIfFull()
            }
            newline(depth)
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else { return append("{}") }
            bytes.append(UInt8(ascii: "{"))
            var keys = JSONValue.orderedKeys(members)
            if depth == 0 && !leadingKeys.isEmpty {
                let first = leadingKeys.filter { members[$0] != nil }
                keys = first + keys.filter { !first.contains($0) }
            }
            for (index, key) in keys.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                writeString(key)
                append(layout == .pretty ? ": " : ":")
                write(members[key] ?? .null, depth: depth + 1)
            }
            newline(depth)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func newline(_ depth: Int) {
        guard layout == .pretty else { return }
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(0x20, count: depth * 2))
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
