/// Turns text taken from the archive (titles, descriptions, dates) into HTML that shows it as
/// text, never as markup.
///
/// Every value goes through `escape` whether it lands in an element or in a quoted attribute:
/// one rule for both leaves no place where a quote or an angle bracket could end the context.
enum HTMLText {
    /// `& < > " '` as character references; other C0 control characters (which HTML forbids and
    /// which only a damaged or hostile title would hold) are dropped; line breaks become `\n`.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        var previousWasReturn = false
        for scalar in text.unicodeScalars {
            defer { previousWasReturn = scalar == "\r" }
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\r": out += "\n"
            case "\n":
                // `\r\n` is one line break, already written for the `\r`.
                if !previousWasReturn { out += "\n" }
            case "\t": out += "\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// For attribute values: `escape`, with line breaks kept as `&#10;` so that the attribute reads
    /// as one line in the source.
    static func attribute(_ text: String) -> String {
        var escaped = escape(text)
        if escaped.contains("\n") { escaped = escaped.replacing("\n", with: "&#10;") }
        if escaped.contains("\t") { escaped = escaped.replacing("\t", with: "&#9;") }
        return escaped
    }

    /// `1 item`, `12 items`.
    static func count(_ number: Int, _ singular: String, _ plural: String) -> String {
        "\(number) \(number == 1 ? singular : plural)"
    }

    /// The calendar date of an ISO 8601 timestamp (`2017-07-17T09:00:00Z` → `2017-07-17`), or nil
    /// when `text` does not start with one.
    static func day(_ text: String) -> String? {
        let prefix = Array(text.utf8.prefix(10))
        guard prefix.count == 10, prefix[4] == UInt8(ascii: "-"), prefix[7] == UInt8(ascii: "-") else { return nil }
        for (index, byte) in prefix.enumerated() where index != 4 && index != 7 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        }
        return String(decoding: prefix, as: UTF8.self)
    }
}
