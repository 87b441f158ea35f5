import Foundation
import Testing

@testable import ExactJSON

@Suite struct JSONValueTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(Data(text.utf8))
    }

    private func text(_ value: JSONValue, _ layout: JSONValue.Layout) -> String {
        String(decoding: value.serialized(layout), as: UTF8.self)
    }

    // MARK: Parsing

    /// The 2017 style: `data` first, slashes escaped (docs/imgur-api.md §1).
    static let escapedStyle = #"""
        {"data":{"id":"QJa0R6q","title":null,"description":null,"datetime":1495556889,"type":"image\/jpeg",
        "animated":false,"width":800,"height":600,"size":123456,"views":4545,"bandwidth":7050020626740,
        "vote":null,"favorite":false,"nsfw":null,"section":null,"account_url":null,"edited":"0",
        "tags":[],"link":"http:\/\/i.imgur.com\/QJa0R6q.jpg","score":12.5},"success":true,"status":200}
        """#

    /// The 2024 style: `status` first, slashes plain.
    static let plainStyle = #"""
        {"status":200,"success":true,"data":{"link":"http://i.imgur.com/QJa0R6q.jpg","score":12.5,
        "type":"image/jpeg","id":"QJa0R6q","title":null,"description":null,"datetime":1495556889,
        "animated":false,"width":800,"height":600,"size":123456,"views":4545,"bandwidth":7050020626740,
        "vote":null,"favorite":false,"nsfw":null,"section":null,"account_url":null,"edited":"0","tags":[]}}
        """#

    @Test func bothWireStylesParseToTheSameValue() throws {
        let escaped = try parse(Self.escapedStyle)
        let plain = try parse(Self.plainStyle)
        #expect(escaped == plain)
        let data = try #require(escaped["data"])
        #expect(data["link"] == .string("http://i.imgur.com/QJa0R6q.jpg"))
        #expect(data["type"] == .string("image/jpeg"))
        #expect(data["bandwidth"] == .int(7_050_020_626_740))
        #expect(data["title"] == .null)
        #expect(data["title"]?.isNull == true)
        #expect(data["title"]?.stringValue == nil)
        #expect(data["nsfw"] == .null)
        #expect(data["animated"] == .bool(false))
        #expect(data["edited"] == .string("0"))
        #expect(data["edited"]?.int64Value == 0)
        #expect(data["tags"] == .array([]))
        #expect(data["score"] == .double(12.5))
        #expect(data["missing"] == nil)
        #expect(escaped["status"] == .int(200))
        #expect(escaped["success"] == .bool(true))
    }

    static let scalars: [(String, JSONValue)] = [
        ("null", .null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .int(0)),
        ("-1", .int(-1)),
        ("7050020626740", .int(7_050_020_626_740)),
        ("9223372036854775807", .int(Int64.max)),
        ("-9223372036854775808", .int(Int64.min)),
        ("0.5", .double(0.5)),
        ("-1.25e-3", .double(-0.00125)),
        ("1e300", .double(1e300)),
        ("9223372036854775808", .double(9_223_372_036_854_775_808)),
        (#""""#, .string("")),
        (#""a\/b""#, .string("a/b")),
        (#""\u00e9\ud83d\ude00""#, .string("é😀")),
        (#""\n\t\"\\""#, .string("\n\t\"\\")),
        ("[]", .array([])),
        ("{}", .object([:])),
    ]

    @Test(arguments: scalars)
    func parsesScalars(text: String, expected: JSONValue) throws {
        #expect(try parse(text) == expected)
    }

    @Test func parsesNestedValues() throws {
        let value = try parse(#"{"a":[1,{"b":null,"c":[true,"x"]}],"d":{"e":{"f":-2.5}}}"#)
        let expected: JSONValue = [
            "a": [1, ["b": nil, "c": [true, "x"]]],
            "d": ["e": ["f": .double(-2.5)]],
        ]
        #expect(value == expected)
        #expect(value["a"]?.arrayValue?.count == 2)
        #expect(value["d"]?["e"]?["f"] == .double(-2.5))
        #expect(value["d"]?.objectValue?.keys.sorted() == ["e"])
    }

    @Test(arguments: ["", "{", #"{"a":}"#, "nul", "[1 2]", #"{"a":1}x"#, "<html></html>"])
    func refusesNonJSON(text: String) {
        #expect(throws: (any Error).self) {
            _ = try JSONValue.parse(Data(text.utf8))
        }
    }

    // MARK: Accessors

    @Test func accessors() {
        #expect(JSONValue.string("").stringValue == "")
        #expect(JSONValue.string("").nonEmptyString == nil)
        #expect(JSONValue.string("x").nonEmptyString == "x")
        #expect(JSONValue.int(3).stringValue == nil)

        #expect(JSONValue.int(-4).int64Value == -4)
        #expect(JSONValue.double(3.0).int64Value == 3)
        #expect(JSONValue.double(3.5).int64Value == nil)
        #expect(JSONValue.double(1e19).int64Value == nil)
        #expect(JSONValue.string("0").int64Value == 0)
        #expect(JSONValue.string("12x").int64Value == nil)
        #expect(JSONValue.bool(true).int64Value == nil)
        #expect(JSONValue.null.int64Value == nil)

        #expect(JSONValue.bool(true).boolValue == true)
        #expect(JSONValue.int(0).boolValue == false)
        #expect(JSONValue.int(1).boolValue == true)
        #expect(JSONValue.string("true").boolValue == nil)

        #expect(JSONValue.array([1]).arrayValue == [.int(1)])
        #expect(JSONValue.object(["a": 1]).arrayValue == nil)
        #expect(JSONValue.object(["a": 1]).objectValue == ["a": .int(1)])
        #expect(JSONValue.array([]).objectValue == nil)
        #expect(JSONValue.array([1])["a"] == nil)
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.int(0).isNull)

        #expect(JSONValue.optional(nil) == .null)
        #expect(JSONValue.optional("x") == .string("x"))
        let duplicate: JSONValue = ["k": 1, "k": 2]
        #expect(duplicate == .object(["k": .int(2)]))
    }

    // MARK: Writing

    static let sample: JSONValue = [
        "title": "a/b",
        "id": "q6i58",
        "images": [1, .double(2.5), nil, true],
        "empty_list": [],
        "empty_object": [:],
        "nested": ["z": false, "a": ["deep": -7]],
    ]

    @Test func prettyLayoutIsExact() {
        let expected = """
            {
              "empty_list": [],
              "empty_object": {},
              "id": "q6i58",
              "images": [
                1,
                2.5,
                null,
                true
              ],
              "nested": {
                "a": {
                  "deep": -7
                },
                "z": false
              },
              "title": "a/b"
            }

            """
        #expect(text(Self.sample, .pretty) == expected)
        #expect(Self.sample.serialized() == Self.sample.serialized(.pretty))
    }

    @Test func compactLayoutIsExact() {
        #expect(
            text(Self.sample, .compact)
                == #"{"empty_list":[],"empty_object":{},"id":"q6i58","images":[1,2.5,null,true],"nested":{"a":{"deep":-7},"z":false},"title":"a/b"}"#
        )
    }

    @Test func onlyPrettyEndsWithANewline() {
        #expect(text(.string("x"), .pretty) == "\"x\"\n")
        #expect(text(.string("x"), .compact) == "\"x\"")
        #expect(text(.null, .compact) == "null")
        #expect(text([:], .pretty) == "{}\n")
        #expect(text([], .compact) == "[]")
    }

    @Test func numericKeysSortNumerically() {
        let value: JSONValue = ["10": "ten", "2": "two", "1": "one", "100": "hundred", "9": "nine"]
        #expect(text(value, .compact) == #"{"1":"one","2":"two","9":"nine","10":"ten","100":"hundred"}"#)
        #expect(JSONValue.orderedKeys(["10": 1, "2": 1, "1": 1]) == ["1", "2", "10"])
        // Equal numbers: the text breaks the tie, so the order is still total.
        #expect(JSONValue.orderedKeys(["1": 1, "01": 1, "001": 1, "2": 1]) == ["001", "01", "1", "2"])
    }

    @Test func mixedKeysSortByBytes() {
        #expect(JSONValue.orderedKeys(["10": 1, "2": 1, "a": 1, "B": 1, "_": 1]) == ["10", "2", "B", "_", "a"])
        #expect(JSONValue.orderedKeys(["é": 1, "z": 1, "Z": 1]) == ["Z", "z", "é"])
        // Too large for UInt64: not a numeric key set any more.
        #expect(JSONValue.orderedKeys(["99999999999999999999": 1, "3": 1]) == ["3", "99999999999999999999"])
        #expect(JSONValue.orderedKeys(["": 1, "1": 1]) == ["", "1"])
    }

    @Test func stringsAreEscapedMinimally() {
        let value = JSONValue.string("q\"b\\s/n\nr\rt\tb\u{08}f\u{0C}z\u{0}o\u{1F}d\u{7F}é😀")
        let expected = #""q\"b\\s/n\nr\rt\tb\bf\fz\u0000o\u001fd"# + "\u{7F}é😀\""
        #expect(text(value, .compact) == expected)
        // Non-ASCII goes out as raw UTF-8, never as \u escapes.
        #expect(Array(JSONValue.string("é").serialized(.compact)) == [0x22, 0xC3, 0xA9, 0x22])
    }

    @Test func keysAreEscapedToo() {
        let value: JSONValue = ["a\"b": 1, "c\nd": 2]
        #expect(text(value, .compact) == #"{"a\"b":1,"c\nd":2}"#)
    }

    @Test func numbersAreExact() {
        #expect(text(.int(Int64.max), .compact) == "9223372036854775807")
        #expect(text(.int(Int64.min), .compact) == "-9223372036854775808")
        #expect(text(.int(7_050_020_626_740), .compact) == "7050020626740")
        #expect(text(.double(0.1), .compact) == "0.1")
        #expect(text(.double(-2.5), .compact) == "-2.5")
        #expect(text(.double(1e300), .compact) == "1e+300")
        #expect(text(.double(.nan), .compact) == "null")
        #expect(text(.double(.infinity), .compact) == "null")
        #expect(text(.double(-.infinity), .compact) == "null")
    }

    // MARK: Round trips

    static let roundTripValues: [JSONValue] = [
        sample,
        .null, .bool(false), .int(Int64.max), .int(Int64.min), .double(0.1), .double(-1.25e-3), .double(1e300),
        .string("control \u{0}\u{1}\u{1F} quote \" slash / back \\ é 😀 \u{2028}"),
        ["1": "a", "2": "b", "10": "c"],
        ["a": [[[]]], "b": [[:]], "c": [["d": [nil, .double(0.5)]]]],
        ["key with \"quotes\"": ["\n": "\t"]],
    ]

    @Test(arguments: roundTripValues)
    func roundTrip(value: JSONValue) throws {
        #expect(try JSONValue.parse(value.serialized(.pretty)) == value)
        #expect(try JSONValue.parse(value.serialized(.compact)) == value)
    }

    @Test func realAnswersRoundTripByteForByte() throws {
        for wire in [Self.escapedStyle, Self.plainStyle] {
            let value = try parse(wire)
            let once = value.serialized(.pretty)
            #expect(try JSONValue.parse(once) == value)
            #expect(try JSONValue.parse(once).serialized(.pretty) == once)
            let compact = value.serialized(.compact)
            #expect(!compact.contains(UInt8(ascii: "\n")))
            #expect(!String(decoding: compact, as: UTF8.self).contains(#"\/"#))
        }
    }

    @Test func codableThroughFoundationCoders() throws {
        let data = try JSONEncoder().encode(Self.sample)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == Self.sample)
    }
}

/// What Imgur sends, kept as sent: numbers digit for digit, the last of repeated keys, and the good
/// part of a string whose bytes are bad.
@Suite struct ExactParsingTests {
    @Test(arguments: [
        "18446744073709552000", "18446744073709551616", "1e-400", "1e400", "123456789012345678901234567890",
        "3.141592653589793238462643383279", "-0", "0.10", "1E+2", "2.5e-3",
    ])
    func numbersGoBackToDiskDigitForDigit(text: String) throws {
        let value = try JSONValue.parse(Data(#"{"n":\#(text)}"#.utf8))
        #expect(String(decoding: value.serialized(.compact), as: UTF8.self) == #"{"n":\#(text)}"#)
        if case .number(let number)? = value["n"] { #expect(number.text == text) } else { Issue.record("not a number") }
    }

    @Test func theLastOfRepeatedKeysWins() throws {
        let value = try JSONValue.parse(Data(#"{"id":"first","id":"last","n":1,"n":2}"#.utf8))
        #expect(value["id"] == "last")
        #expect(value["n"] == 2)
    }

    @Test func aLoneSurrogateOrBadUTF8KeepsTheRestOfTheText() throws {
        let (lone, repairedLone) = try JSONValue.parseCounting(Data(#"{"t":"a\ud800b","ok":"\ud83d\ude00"}"#.utf8))
        #expect(lone["t"] == "a\u{FFFD}b")
        #expect(lone["ok"] == "😀")
        #expect(repairedLone == 1)
        var bytes = Array(#"{"t":"caf"#.utf8)
        bytes += [0xE9, 0xFF]
        bytes += Array(#" ok"}"#.utf8)
        let (bad, repairedBad) = try JSONValue.parseCounting(Data(bytes))
        #expect(bad["t"]?.stringValue?.hasPrefix("caf") == true)
        #expect(bad["t"]?.stringValue?.hasSuffix(" ok") == true)
        #expect(bad["t"]?.stringValue?.contains("\u{FFFD}") == true)
        #expect(repairedBad == 1)
    }

    @Test(arguments: ["", "{", "[1,]", #"{"a":}"#, "01", "1.", "-", #""\x""#, "nul", "[1] 2", "\"a\u{01}b\""])
    func whatIsNotJSONIsRefused(text: String) {
        #expect(throws: JSONValue.ParseError.self) { _ = try JSONValue.parse(Data(text.utf8)) }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONValue.ParseError.self) { _ = try JSONValue.parse(Data(deep.utf8)) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect((try? JSONValue.parse(Data(fine.utf8))) != nil)
    }

    @Test func numbersCompareByValue() {
        #expect(JSONValue.int(1) == JSONValue.double(1.0))
        #expect(JSONValue.int(3).int64Value == 3)
        #expect(JSONValue.double(0.5) != JSONValue.int(0))
        #expect(Set([JSONValue.int(2), JSONValue.double(2.0)]).count == 1)
    }
}
