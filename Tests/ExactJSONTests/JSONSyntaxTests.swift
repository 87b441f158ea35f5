import Foundation
import Testing

@testable import ExactJSON

/// `JSONSyntax`: the allocation-free JSON checker the catalog scan runs on every line.
@Suite struct JSONSyntaxTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let text: [UInt8]
        let valid: Bool
        let note: String

        init(_ text: String, _ valid: Bool, _ note: String = "") {
            self.text = Array(text.utf8)
            self.valid = valid
            self.note = note
        }

        init(bytes: [UInt8], _ valid: Bool, _ note: String) {
            text = bytes
            self.valid = valid
            self.note = note
        }

        var testDescription: String {
            let shown = String(decoding: text.prefix(60), as: UTF8.self).debugDescription
            return note.isEmpty ? shown : "\(note): \(shown)"
        }
    }

    static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { JSONSyntax.isObject($0) }
    }

    static func valueEnd(_ bytes: [UInt8], from start: Int = 0) -> Int? {
        bytes.withUnsafeBufferPointer { JSONSyntax.valueEnd($0, from: start) }
    }

    static func valueEnd(_ text: String, from start: Int = 0) -> Int? {
        valueEnd(Array(text.utf8), from: start)
    }

    static func nested(_ depth: Int, open: String, close: String, inner: String = "") -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }

    // MARK: - Whole objects

    static let objects: [Case] = [
        // Valid.
        Case("{}", true),
        Case("{ }", true),
        Case(" \t\r\n{}\n ", true, "surrounding whitespace"),
        Case(#"{"a":1}"#, true),
        Case(#"{ "a" : 1 , "b" : [ 1 , 2 ] }"#, true),
        Case(#"{"a":{"b":{"c":[]}}}"#, true),
        Case(#"{"a":"","b":null,"c":true,"d":false}"#, true, "literals"),
        Case(#"{"s":"quote \" backslash \\ slash \/ \b\f\n\r\t"}"#, true, "every short escape"),
        Case(#"{"s":"\u00e9\u20AC\uD83D\uDE00"}"#, true, "\\u escapes, both cases of hex"),
        Case("{\"s\":\"caf\u{E9} \u{1F600}\"}", true, "raw UTF-8"),
        Case("{\"s\":\"\u{7F}\"}", true, "DEL is not a control character for JSON"),
        Case(#"{"n":-0}"#, true, "-0"),
        Case(#"{"n":0}"#, true),
        Case(#"{"n":1e5}"#, true, "1e5"),
        Case(#"{"n":1.5E-3}"#, true, "1.5E-3"),
        Case(#"{"n":-12.25e+10}"#, true),
        Case(#"{"n":0.5}"#, true),
        Case(#"{"n":[0,-1,2.0,3e0]}"#, true),
        Case(#"{"a":1,"a":2}"#, true, "duplicate keys are syntax-valid"),
        Case(#"{"":0}"#, true, "empty key"),

        // Invalid.
        Case("", false, "empty"),
        Case("   ", false, "whitespace only"),
        Case("[]", false, "an array is not an object"),
        Case("\"{}\"", false, "a string is not an object"),
        Case("null", false),
        Case("{", false, "unterminated"),
        Case("}", false),
        Case(#"{"a":1"#, false, "no closing brace"),
        Case(#"{"a":1,}"#, false, "trailing comma"),
        Case(#"{,"a":1}"#, false, "leading comma"),
        Case(#"{"a"}"#, false, "key without value"),
        Case(#"{"a":}"#, false, "colon without value"),
        Case(#"{"a" 1}"#, false, "missing colon"),
        Case(#"{a:1}"#, false, "unquoted key"),
        Case(#"{'a':1}"#, false, "single quotes"),
        Case(#"{1:1}"#, false, "number key"),
        Case(#"{"a":1 "b":2}"#, false, "missing comma"),
        Case(#"{"a":[1,]}"#, false, "trailing comma in array"),
        Case(#"{"a":[,1]}"#, false, "leading comma in array"),
        Case(#"{"a":[1 2]}"#, false, "missing comma in array"),
        Case(#"{"a":[}"#, false, "mismatched brackets"),
        Case(#"{} x"#, false, "trailing garbage"),
        Case(#"{}{}"#, false, "two objects"),
        Case(#"{},"#, false, "trailing comma after the object"),
        Case("{}\u{0C}", false, "form feed is not JSON whitespace"),
        Case("\u{0C}{}", false, "form feed before"),
        Case(bytes: Array("{}".utf8) + [0], false, "NUL after the object"),
        Case(#"{"s":"\x"}"#, false, "bad escape \\x"),
        Case(#"{"s":"\'"}"#, false, "bad escape \\'"),
        Case(#"{"s":"\U00e9"}"#, false, "capital \\U"),
        Case(#"{"s":"\u00G0"}"#, false, "non-hex digit in \\u"),
        Case(#"{"s":"\u12"}"#, false, "short \\u"),
        Case(#"{"s":"\u"}"#, false, "bare \\u"),
        Case(#"{"s":"abc\"#, false, "backslash at the end"),
        Case(#"{"s":"abc}"#, false, "unterminated string"),
        Case("{\"s\":\"a\tb\"}", false, "raw tab in a string"),
        Case("{\"s\":\"a\nb\"}", false, "raw newline in a string"),
        Case(bytes: Array("{\"s\":\"a".utf8) + [0x00] + Array("b\"}".utf8), false, "raw NUL in a string"),
        Case(bytes: Array("{\"s\":\"a".utf8) + [0x1F] + Array("b\"}".utf8), false, "raw 0x1F in a string"),
        Case("{\"a\tb\":1}", false, "control character in a key"),
        Case(#"{"n":01}"#, false, "leading zero"),
        Case(#"{"n":-01}"#, false, "leading zero after minus"),
        Case(#"{"n":1.}"#, false, "1."),
        Case(#"{"n":.5}"#, false, ".5"),
        Case(#"{"n":-}"#, false, "bare minus"),
        Case(#"{"n":+1}"#, false, "plus sign"),
        Case(#"{"n":1e}"#, false, "1e"),
        Case(#"{"n":1e+}"#, false, "1e+"),
        Case(#"{"n":1.5e-}"#, false, "1.5e-"),
        Case(#"{"n":0x10}"#, false, "hex number"),
        Case(#"{"n":NaN}"#, false, "NaN"),
        Case(#"{"n":Infinity}"#, false, "Infinity"),
        Case(#"{"n":1_000}"#, false, "digit separator"),
        Case(#"{"t":tru}"#, false, "short true"),
        Case(#"{"t":True}"#, false, "True"),
        Case(#"{"t":nul}"#, false, "short null"),
        Case(#"{"t":nulll}"#, false, "long null"),
        Case(#"{"t":falsey}"#, false, "false followed by letters"),
        Case(#"{"t":undefined}"#, false, "undefined"),
    ]

    @Test(arguments: objects)
    func isObject(testCase: Case) {
        #expect(Self.isObject(testCase.text) == testCase.valid)
    }

    /// A check of the table itself against Foundation's parser (which on Linux also accepts trailing
    /// commas, so those rows are left out).
    @Test(arguments: objects.filter { !$0.note.contains("duplicate") && !$0.note.contains("trailing comma in") && $0.note != "trailing comma" })
    func agreesWithJSONSerialization(testCase: Case) {
        let foundation =
            ((try? JSONSerialization.jsonObject(with: Data(testCase.text), options: [.fragmentsAllowed]))
            as? [String: Any]) != nil
        #expect(foundation == testCase.valid, "the table itself is wrong")
    }

    // MARK: - Depth limit

    /// `levels` nested containers: `{"a":{"a":…{}…}}` and `[[…]]`.
    static func objects(levels: Int) -> [UInt8] {
        Array(nested(levels - 1, open: "{\"a\":", close: "}", inner: "{}").utf8)
    }

    @Test(arguments: [2, 3, 32, 63, 64])
    func nestingUpTo64LevelsIsAccepted(levels: Int) {
        #expect(Self.isObject(Self.objects(levels: levels)))
        #expect(Self.valueEnd(Self.nested(levels, open: "[", close: "]")) == 2 * levels)
        #expect(Self.isObject(Array(("{\"a\":" + Self.nested(levels - 1, open: "[", close: "]") + "}").utf8)))
    }

    @Test(arguments: [65, 66, 100, 10_000])
    func nestingDeeperThan64LevelsIsRefused(levels: Int) {
        #expect(!Self.isObject(Self.objects(levels: levels)))
        #expect(Self.valueEnd(Self.nested(levels, open: "[", close: "]")) == nil)
        #expect(!Self.isObject(Array(("{\"a\":" + Self.nested(levels - 1, open: "[", close: "]") + "}").utf8)))
    }

    @Test func aScalarCountsAsALevelToo() {
        // A number inside 63 arrays is at level 64; inside 64 arrays at level 65.
        #expect(Self.valueEnd(Self.nested(63, open: "[", close: "]", inner: "1")) == 127)
        #expect(Self.valueEnd(Self.nested(64, open: "[", close: "]", inner: "1")) == nil)
        #expect(Self.isObject(Array(Self.nested(63, open: "{\"a\":", close: "}", inner: "true").utf8)))
        #expect(!Self.isObject(Array(Self.nested(64, open: "{\"a\":", close: "}", inner: "true").utf8)))
    }

    // MARK: - valueEnd

    struct End: Sendable, CustomTestStringConvertible {
        let text: String
        let start: Int
        let end: Int?
        var testDescription: String { "\(text.debugDescription) from \(start)" }
    }

    static let ends: [End] = [
        End(text: "0", start: 0, end: 1),
        End(text: "-0", start: 0, end: 2),
        End(text: "1e5", start: 0, end: 3),
        End(text: "1.5E-3", start: 0, end: 6),
        End(text: "123456789012345678901234567890", start: 0, end: 30),
        End(text: "01", start: 0, end: 1),  // the value is `0`; the `1` is what follows it
        End(text: "-01", start: 0, end: 2),
        End(text: "1.", start: 0, end: nil),
        End(text: "1.e5", start: 0, end: nil),
        End(text: "-", start: 0, end: nil),
        End(text: "+1", start: 0, end: nil),
        End(text: "true", start: 0, end: 4),
        End(text: "false", start: 0, end: 5),
        End(text: "null", start: 0, end: 4),
        End(text: "truex", start: 0, end: 4),
        End(text: "tru", start: 0, end: nil),
        End(text: "\"\"", start: 0, end: 2),
        End(text: #""a\"b" rest"#, start: 0, end: 6),
        End(text: #""\u00e9""#, start: 0, end: 8),
        End(text: #""\u00e""#, start: 0, end: nil),
        End(text: "\"abc", start: 0, end: nil),
        End(text: "[]", start: 0, end: 2),
        End(text: "[1, [2, {\"a\": [3]}]] tail", start: 0, end: 20),
        End(text: "{\"a\":1},", start: 0, end: 7),
        End(text: "   {}", start: 0, end: 5),
        End(text: "\n\t\r {}", start: 0, end: 6),
        End(text: "xx  {\"a\":1} yy", start: 2, end: 11),
        End(text: "\"k\": {\"v\":[1,2]},", start: 5, end: 16),
        End(text: "\"k\": {\"v\":[1,2]", start: 5, end: nil),
        End(text: "", start: 0, end: nil),
        End(text: "   ", start: 0, end: nil),
        End(text: "abc", start: 3, end: nil),
        End(text: "}", start: 0, end: nil),
        End(text: "]", start: 0, end: nil),
        End(text: ",", start: 0, end: nil),
    ]

    @Test(arguments: ends)
    func valueEnd(end: End) {
        #expect(Self.valueEnd(end.text, from: end.start) == end.end)
    }

    @Test func valueEndStopsAtTheEndOfTheBufferItIsGiven() {
        // A complete line inside a larger buffer: the scan must not read past the slice.
        let bytes = Array("{\"a\":\"bc\"}".utf8)
        for length in 0..<bytes.count {
            let result = bytes.withUnsafeBufferPointer { all in
                JSONSyntax.valueEnd(UnsafeBufferPointer(rebasing: all[0..<length]), from: 0)
            }
            #expect(result == nil, "length \(length)")
        }
        #expect(Self.valueEnd(bytes) == bytes.count)
    }

    private static func members(_ first: StaticString, _ second: StaticString, _ text: String) -> [String?] {
        let found = Array(text.utf8).withUnsafeBufferPointer { JSONSyntax.stringMembers(first, second, in: $0, from: 0) }
        return [found.0, found.1]
    }

    @Test func stringMembersReadsTheStringsOfTheKeysAskedInOnePass() {
        let entry = #"{"archived_at":"2026-01-01T00:00:00Z","id":"AbCdE","kind":"album","media_count":5,"status":"complete"}"#
        #expect(Self.members("kind", "status", entry) == ["album", "complete"])
        #expect(Self.members("status", "title", entry) == ["complete", nil])
        // Not a string, nested, escaped, repeated (the first counts), and not an object at all.
        #expect(Self.members("media_count", "id", entry) == [nil, "AbCdE"])
        #expect(Self.members("status", "a", #" {"a":{"status":"inner"},"status":"outer"}"#) == ["outer", nil])
        #expect(Self.members("title", "x", #"{"title":"a \"quoted\" \u00e9"}"#) == ["a \"quoted\" é", nil])
        #expect(Self.members("status", "x", #"{"status":"first","status":"second"}"#) == ["first", nil])
        #expect(Self.members("status", "kind", #"["status","complete"]"#) == [nil, nil])
        #expect(Self.members("status", "kind", #"{"kind":"image","status":"#) == [nil, "image"])
        #expect(Self.members("sta", "status", #"{"status":"complete","sta":"x"}"#) == ["x", "complete"])
    }
}
