import DurableFiles
import Foundation

/// `$XDG_CONFIG_HOME/imgur-archive/config` (by default `~/.config/imgur-archive/config`): default
/// options, one or more per line, as on the command line (yt-dlp's and gallery-dl's habit):
///
///     # every run
///     --jobs 4
///     --animated mp4
///     --limit-rate 2M
///
/// `#` starts a comment; words may be quoted with `'` or `"`. Options that do not apply to a
/// command are skipped for it; the command line wins; `--no-config` ignores the file.
enum ConfigFile {
    static let displayName = "$XDG_CONFIG_HOME/imgur-archive/config"
    /// Larger than any config file a person writes; a bigger one is refused, not read.
    static let maxSize = 65_536

    static func path(environment: [String: String]) -> String? {
        if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") { return "\(base)/imgur-archive/config" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return "\(home)/.config/imgur-archive/config"
    }

    /// The words of the config file; none when there is no file (or `--no-config` is given).
    /// - Throws: `CommandError.configuration` when it exists but cannot be read.
    static func words(arguments: [String], environment: [String: String]) throws(CommandError) -> [String] {
        let beforeDoubleDash = arguments.prefix { $0 != "--" }
        guard !beforeDoubleDash.contains("--no-config"), let path = path(environment: environment),
            FileSystem.exists(path)
        else { return [] }
        guard let data = FileManager.default.contents(atPath: path), data.count <= maxSize,
            let text = String(data: data, encoding: .utf8)
        else {
            throw .configuration("cannot read the config file \(path) (UTF-8 text of at most \(maxSize) bytes)")
        }
        return try words(in: text, path: path)
    }

    static func words(in text: String, path: String) throws(CommandError) -> [String] {
        var words: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var word = ""
            var inWord = false
            var quote: Character?
            for character in line {
                if let open = quote {
                    if character == open { quote = nil } else { word.append(character) }
                    continue
                }
                if character == "#" { break }
                if character == "\"" || character == "'" {
                    quote = character
                    inWord = true
                } else if character.isWhitespace {
                    if inWord { words.append(word) }
                    word = ""
                    inWord = false
                } else {
                    word.append(character)
                    inWord = true
                }
            }
            if quote != nil { throw .configuration("\(path) line \(number + 1): a quote is not closed") }
            if inWord { words.append(word) }
        }
        return words
    }
}
