import Foundation
import Jobs

/// The live status line's numbers and its text: items counted as they finish (not as their lines
/// are printed in input order), files and bytes against the totals the API's answers announced so
/// far, the speed over the last few seconds, and an ETA from the bytes left at that speed.
struct ProgressLine: Sendable {
    var itemsDone = 0
    var itemsTotal = 0
    var filesDone = 0
    var filesTotal = 0
    var bytes: Int64 = 0
    var bytesTotal: Int64 = 0
    /// What "items" are called on the line: albums, uploads.
    var noun = "albums"

    /// (time, bytes) at most every `sampleSpacing` seconds, the oldest no older than `window`.
    private var samples: [(time: TimeInterval, bytes: Int64)] = []
    static let window: TimeInterval = 5
    static let sampleSpacing: TimeInterval = 0.25

    /// Bytes per second over the last `window` seconds (nil until two samples span some time).
    mutating func speed(at now: TimeInterval) -> Double? {
        if samples.last.map({ now - $0.time >= Self.sampleSpacing }) ?? true {
            samples.append((now, bytes))
        }
        // Keep one sample at or before the window's start, so the span is the whole window.
        while samples.count > 2, now - samples[1].time >= Self.window { samples.removeFirst() }
        guard let first = samples.first, now - first.time > 0.5 else { return nil }
        return Double(bytes - first.bytes) / (now - first.time)
    }

    /// `[3/15 albums] 12/40 files, 34.5 MB of 120.0 MB, 2.1 MB/s, ETA 41s`, cut to `width` columns.
    mutating func text(at now: TimeInterval, width: Int?) -> String {
        var text = "[\(itemsDone)/\(itemsTotal) \(noun)] "
        text += filesTotal > 0 ? "\(filesDone)/\(filesTotal) files, " : "\(TextFormat.count(filesDone, "file", "files")), "
        text += TextFormat.size(bytes)
        if bytesTotal > 0 { text += " of \(TextFormat.size(bytesTotal))" }
        if let speed = speed(at: now) {
            text += ", \(TextFormat.size(Int64(max(0, speed))))/s"
            let left = bytesTotal - bytes
            if speed >= 1, left > 0 { text += ", ETA \(TextFormat.duration(Double(left) / speed))" }
        }
        return Self.cut(text, to: width)
    }

    /// A line never wraps: one column is left free, since some terminals wrap at the last one.
    static func cut(_ text: String, to width: Int?) -> String {
        guard let width, width > 1, text.count >= width else { return text }
        return String(text.prefix(width - 2)) + "…"
    }
}
