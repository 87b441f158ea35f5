import Foundation
import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

@Suite struct ImgurIDTests {
    static let valid = ["q6i58", "AbCdEfG", "abc123", "00000", "ZZZZZZZ", "a1B2c"]

    static let invalid = [
        "", "abcd", "AbCdEfGh", "../x", "..", ".....", "a/b/c", "abc.d", "abc de", " abcde", "abcde ",
        "abc_d", "abc-d", "abcd!", "abcdé", "ábcde", "abc\u{0}de", "abc\nde", "abcde\u{301}", "１２３４５",
        "%2e%2e", String(repeating: "a", count: 40),
    ]

    @Test(arguments: valid)
    func accepts(text: String) throws {
        let id = try #require(ImgurID(text))
        #expect(id.rawValue == text)
        #expect(id.description == text)
        #expect(ImgurID.isValid(text))
    }

    @Test(arguments: invalid)
    func refuses(text: String) {
        #expect(ImgurID(text) == nil)
        #expect(!ImgurID.isValid(text))
    }

    /// An id can never name another directory: no `/`, no `.`, whatever was offered.
    @Test func neverHoldsPathCharacters() {
        let alphabet = Array("abcXYZ019./\\-_ ~%")
        var accepted = 0
        for length in 4...8 {
            for seed in 0..<400 {
                var generator = SplitMix(seed: UInt64(length * 1000 + seed))
                let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
                guard let id = ImgurID(text) else { continue }
                accepted += 1
                #expect(!id.rawValue.contains("/"))
                #expect(!id.rawValue.contains("."))
                #expect(!id.rawValue.contains("\\"))
                #expect((5...7).contains(id.rawValue.count))
            }
        }
        #expect(accepted > 0)
    }

    @Test func acceptsSubstrings() throws {
        let text = "xxq6i58xx"
        let slice = text.dropFirst(2).dropLast(2)
        let id = try #require(ImgurID(slice))
        #expect(id.rawValue == "q6i58")
    }

    @Test func ordersByBytes() throws {
        let upper = try #require(ImgurID("BBBBB"))
        let lower = try #require(ImgurID("aaaaa"))
        let digits = try #require(ImgurID("99999"))
        let short = try #require(ImgurID("aaaaa"))
        let long = try #require(ImgurID("aaaaaa"))
        #expect(digits < upper)
        #expect(upper < lower)
        #expect(short < long)
        #expect([lower, upper, digits].sorted() == [digits, upper, lower])
    }

    @Test func codableRoundTrip() throws {
        let ids = try [#require(ImgurID("q6i58")), #require(ImgurID("AbCdEfG"))]
        let data = try JSONEncoder().encode(ids)
        #expect(String(decoding: data, as: UTF8.self) == #"["q6i58","AbCdEfG"]"#)
        #expect(try JSONDecoder().decode([ImgurID].self, from: data) == ids)
    }

    @Test(arguments: [#"["../x"]"#, #"["abcd"]"#, #"["a/bcd"]"#, "[12345]", "[null]"])
    func decodingRefusesInvalidIDs(json: String) {
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([ImgurID].self, from: Data(json.utf8))
        }
    }
}

/// A tiny deterministic generator, so the property test is the same on every run.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
