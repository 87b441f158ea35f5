import Foundation

/// Sizes, durations and quoted text for the lines a user reads.
public enum TextFormat {
    /// `34.5 MB`, `1.20 GB`, `512 B` (decimal units, as curl and du -h --si).
    public static func size(_ bytes: Int64) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        if value >= 1e3 { return String(format: "%.1f kB", value / 1e3) }
        return "\(bytes) B"
    }

    /// `6.1s`, `42s`, `3m05s`, `2h07m`.
    public static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        let whole = Int(min(seconds, 1e9).rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }

    /// `1 file`, `12 files`.
    public static func count(_ number: Int, _ singular: String, _ plural: String) -> String {
        "\(number) \(number == 1 ? singular : plural)"
    }

    /// Text that reaches a terminal, whoever wrote it (a title, a server's error message, a 5xx
    /// body): every control character (C0, DEL, C1: escape sequences, OSC 52 clipboard writes, OSC 8
    /// links, window titles) becomes `?`, line breaks become spaces (no fake lines), and bidi and
    /// other invisible format characters are dropped. Every line the reporter prints goes through it.
    /// `/3/image/<deletehash>` and `/3/album/<deletehash>` with the deletehash left out: a URL in
    /// a message or a `--verbose` line must not give away what can delete an upload. (Image and
    /// album ids, 5 to 7 characters, stay.)
    public static func redactingDeletehashes(_ text: String) -> String {
        guard text.contains("/3/image/") || text.contains("/3/album/") else { return text }
        var out = ""
        var rest = Substring(text)
        while let marker = rest.range(of: "/3/image/") ?? rest.range(of: "/3/album/") {
            let earlier = [rest.range(of: "/3/image/"), rest.range(of: "/3/album/")].compactMap { $0 }.min { $0.lowerBound < $1.lowerBound } ?? marker
            out += rest[..<earlier.upperBound]
            rest = rest[earlier.upperBound...]
            let segment = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber) }
            if segment.count > 7 {
                out += "<deletehash>"
                rest = rest.dropFirst(segment.count)
            }
        }
        return out + rest
    }

    public static func terminalSafe(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n", "\r": out.append(" ")
            case "\t": out.append(scalar)
            case _ where scalar.properties.generalCategory == .format: continue
            case _ where isUnsafe(scalar): out.append("?")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (value < 0x20 && scalar != "\t") || value == 0x7F || (0x80...0x9F).contains(value)
            || scalar.properties.generalCategory == .format
    }

    /// A title as it may appear on one line of a terminal: control characters removed, shortened.
    public static func quoted(_ title: String?) -> String {
        guard let title, !title.isEmpty else { return "" }
        let clean = String(String.UnicodeScalarView(title.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0.properties.generalCategory == .format ? " " : $0
        }))
        let short = clean.count > 60 ? clean.prefix(59) + "…" : Substring(clean)
        return "\"\(short)\""
    }
}
