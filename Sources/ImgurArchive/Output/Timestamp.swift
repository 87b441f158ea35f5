import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// UTC timestamps as the archive files write them: `2017-07-17T09:00:00Z`.
enum Timestamp {
    static func iso8601(_ date: Date) -> String {
        iso8601(unix: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    static func iso8601(unix seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// Local time of day for messages ("resets at 14:05").
    static func clock(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&time, &parts)
        return String(format: "%02d:%02d", Int(parts.tm_hour), Int(parts.tm_min))
    }
}
