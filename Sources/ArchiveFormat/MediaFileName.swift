import ImgurAPI

/// The one rule for a media file's name in an album folder: `<mediaID>.<ext>`, a valid Imgur id
/// and an extension of the `MediaType` table, lowercase. The archiver writes only such names; a
/// name read from a document that does not have this shape is never opened, linked or served.
public enum MediaFileName {
    public static func make(_ id: ImgurID, _ type: MediaType) -> String {
        "\(id.rawValue).\(type.fileExtension)"
    }

    /// `<mediaID>.<ext>` with an extension the table knows.
    public static func make(_ id: ImgurID, fileExtension: String) -> String {
        "\(id.rawValue).\(fileExtension)"
    }

    /// The media id and type of a valid name, nil for anything else (`../x`, `a.html`, `x.JPG`).
    public static func parse(_ name: String) -> (id: ImgurID, type: MediaType)? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let id = ImgurID(parts[0]),
            parts[1].utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let type = MediaType.forExtension(parts[1])
        else { return nil }
        return (id, type)
    }

    public static func isValid(_ name: String) -> Bool { parse(name) != nil }
}
