import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// UTC timestamps as the archive files write them, and as messages give times: `2017-07-17T09:00:00Z`.
public enum Timestamp {
    public static func iso8601(_ date: Date) -> String {
        iso8601(unix: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    public static func iso8601(unix seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        guard (0...9999).contains(Int(parts.tm_year) + 1900) else {
            return String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        }
        // Digit by digit: `String(format:)` cost a tenth of a 100,000-entry merge.
        var text: [UInt8] = []
        text.reserveCapacity(20)
        func append(_ value: Int32, width: Int, then separator: Unicode.Scalar) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(Int(value) / divisor % 10))
                divisor /= 10
            }
            text.append(UInt8(ascii: separator))
        }
        append(parts.tm_year + 1900, width: 4, then: "-")
        append(parts.tm_mon + 1, width: 2, then: "-")
        append(parts.tm_mday, width: 2, then: "T")
        append(parts.tm_hour, width: 2, then: ":")
        append(parts.tm_min, width: 2, then: ":")
        append(parts.tm_sec, width: 2, then: "Z")
        return String(decoding: text, as: UTF8.self)
    }

    /// `20261202T103000Z`: ISO 8601 in its basic form, for file names (no colons).
    public static func compact(_ date: Date) -> String {
        iso8601(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    /// The unix time of `2017-07-17T09:00:00Z` (also with fractional seconds or a `+00:00` zone),
    /// nil for anything else.
    public static func unix(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            guard bytes[range].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int32(String(decoding: bytes[range], as: UTF8.self))
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var rest = bytes[19...]
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst().drop { $0 >= 0x30 && $0 <= 0x39 }
        }
        guard rest.elementsEqual("Z".utf8) || rest.elementsEqual("+00:00".utf8) else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        return Int64(timegm(&parts))
    }

    public static func date(_ text: String) -> Date? {
        unix(text).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}
