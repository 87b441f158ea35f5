import Testing

@testable import Archiver

/// `ContentRange`: the strict parse a resumed download depends on.
@Suite struct ContentRangeTests {
    // MARK: - Content-Range

    struct Range: Sendable, CustomTestStringConvertible {
        let header: String?
        let start: Int64?
        let end: Int64?
        let total: Int64?
        let valid: Bool
        var testDescription: String { header.map { $0.debugDescription } ?? "nil" }

        init(_ header: String?, _ start: Int64?, _ end: Int64?, _ total: Int64?) {
            self.header = header
            self.start = start
            self.end = end
            self.total = total
            valid = true
        }

        init(invalid header: String?) {
            self.header = header
            start = nil
            end = nil
            total = nil
            valid = false
        }
    }

    static let ranges: [Range] = [
        Range("bytes 0-99/100", 0, 99, 100),
        Range("bytes 100-999/1000", 100, 999, 1000),
        Range("bytes 5-5/10", 5, 5, 10),
        Range("bytes */100", nil, nil, 100),
        Range("bytes 0-99/*", 0, 99, nil),
        Range("Bytes 0-99/100", 0, 99, 100),
        Range("  bytes 0-99/100  ", 0, 99, 100),
        Range("bytes 0-9223372036854775806/9223372036854775807", 0, 9_223_372_036_854_775_806, 9_223_372_036_854_775_807),
        Range(invalid: "bytes 5-4/10"),
        Range(invalid: nil),
        Range(invalid: ""),
        Range(invalid: "bytes"),
        Range(invalid: "bytes "),
        Range(invalid: "bytes 0-99"),
        Range(invalid: "0-99/100"),
        Range(invalid: "items 0-99/100"),
        Range(invalid: "bytes=0-99/100"),
        Range(invalid: "bytes a-b/100"),
        Range(invalid: "bytes 0-/100"),
        Range(invalid: "bytes -99/100"),
        Range(invalid: "bytes 99/100"),
        Range(invalid: "bytes 0 - 99/100"),
        Range(invalid: "bytes 0-99999999999999999999/100"),
        Range(invalid: "garbage"),
    ]

    @Test(arguments: ranges)
    func parsesContentRange(range: Range) throws {
        let parsed = ContentRange(range.header)
        if range.valid {
            let found = try #require(parsed)
            #expect(found.start == range.start)
            #expect(found.end == range.end)
            #expect(found.total == range.total)
        } else {
            #expect(parsed == nil)
        }
    }

    /// RFC 9110 §14.4: the complete length is digits or `*`, greater than the last position, and
    /// positions are unsigned digits.
    static let malformedRanges: [Range] = [
        Range(invalid: "bytes 0-99/abc"),
        Range(invalid: "bytes 0-99/-5"),
        Range(invalid: "bytes */*"),
        Range(invalid: "bytes */abc"),
        Range(invalid: "bytes -5-10/20"),
        Range(invalid: "bytes +5-10/20"),
        Range(invalid: "bytes 0-99/50"),
    ]

    @Test(arguments: malformedRanges)
    func refusesMalformedContentRange(range: Range) {
        #expect(ContentRange(range.header) == nil)
    }
}
