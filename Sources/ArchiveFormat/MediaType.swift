/// Every kind of media file the archive keeps, in one table: its file extensions, its MIME types,
/// how its first bytes look, and how a browser shows it. Downloads check bytes against it, file
/// names take their extension from it, `verify` and the viewer accept only names it knows, and
/// uploads check files against it before sending (docs/archive-format.md, "Media files").
public struct MediaType: Sendable, Hashable, CustomStringConvertible {
    public enum Display: Sendable {
        /// Shown with `<img>`.
        case image
        /// Shown with `<video>`.
        case video
        /// Linked as a file: browsers are not expected to show it inline.
        case file
    }

    /// A short name ("jpeg", "mp4").
    public let name: String
    /// The MIME type recorded and sent for it.
    public let mime: String
    /// Other MIME types servers use for it.
    public let otherMIMEs: [String]
    /// File extensions, lowercase; the first is the one this tool writes.
    public let extensions: [String]
    public let display: Display
    /// Recognises the file's first bytes (`prefixLength` of them); nil for a type without a
    /// signature (`unknown`), which only the absence of markup can check.
    let matches: (@Sendable ([UInt8]) -> Bool)?

    public var description: String { name }

    public var fileExtension: String { extensions[0] }
    public var isVideo: Bool { display == .video }

    public static func == (lhs: MediaType, rhs: MediaType) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Bytes needed to recognise every type.
    public static let prefixLength = 16

    public static let jpeg = MediaType(
        name: "jpeg", mime: "image/jpeg", otherMIMEs: ["image/jpg", "image/pjpeg"], extensions: ["jpg", "jpeg", "jfif"],
        display: .image, matches: { starts($0, [0xFF, 0xD8, 0xFF]) })
    public static let png = MediaType(
        name: "png", mime: "image/png", otherMIMEs: ["image/apng"], extensions: ["png", "apng"], display: .image,
        matches: { starts($0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) })
    public static let gif = MediaType(
        name: "gif", mime: "image/gif", otherMIMEs: [], extensions: ["gif"], display: .image,
        matches: { starts($0, Array("GIF87a".utf8)) || starts($0, Array("GIF89a".utf8)) })
    public static let webp = MediaType(
        name: "webp", mime: "image/webp", otherMIMEs: [], extensions: ["webp"], display: .image,
        matches: { starts($0, Array("RIFF".utf8)) && starts($0, Array("WEBP".utf8), at: 8) })
    public static let avif = MediaType(
        name: "avif", mime: "image/avif", otherMIMEs: [], extensions: ["avif"], display: .image,
        matches: { starts($0, Array("ftypavif".utf8), at: 4) || starts($0, Array("ftypavis".utf8), at: 4) })
    public static let heic = MediaType(
        name: "heic", mime: "image/heic", otherMIMEs: ["image/heif"], extensions: ["heic", "heif"], display: .file,
        matches: { prefix in ["ftypheic", "ftypheix", "ftypmif1", "ftypmsf1"].contains { starts(prefix, Array($0.utf8), at: 4) } })
    public static let mp4 = MediaType(
        name: "mp4", mime: "video/mp4", otherMIMEs: ["video/quicktime", "video/x-m4v"], extensions: ["mp4", "m4v", "mov"],
        display: .video,
        matches: { prefix in ["ftyp", "moov", "mdat", "free", "wide"].contains { starts(prefix, Array($0.utf8), at: 4) } })
    public static let webm = MediaType(
        name: "webm", mime: "video/webm", otherMIMEs: ["video/x-matroska"], extensions: ["webm", "mkv"], display: .video,
        matches: { starts($0, [0x1A, 0x45, 0xDF, 0xA3]) })
    public static let bmp = MediaType(
        name: "bmp", mime: "image/bmp", otherMIMEs: [], extensions: ["bmp"], display: .image,
        matches: { starts($0, Array("BM".utf8)) })
    public static let tiff = MediaType(
        name: "tiff", mime: "image/tiff", otherMIMEs: [], extensions: ["tif", "tiff"], display: .file,
        matches: { starts($0, [0x49, 0x49, 0x2A, 0x00]) || starts($0, [0x4D, 0x4D, 0x00, 0x2A]) })
    /// A file whose link and MIME type say nothing we know: kept as `<id>.bin`, linked, never shown.
    public static let unknown = MediaType(
        name: "unknown", mime: "application/octet-stream", otherMIMEs: [], extensions: ["bin"], display: .file,
        matches: nil)

    /// Every type, in the order signatures are tried (AVIF and HEIC before MP4: all are `ftyp` boxes).
    public static let all: [MediaType] = [jpeg, png, gif, webp, avif, heic, mp4, webm, bmp, tiff, unknown]

    /// The type a file extension names (any case), nil when none does.
    public static func forExtension(_ fileExtension: some StringProtocol) -> MediaType? {
        let lowered = fileExtension.lowercased()
        return all.first { $0.extensions.contains(lowered) }
    }

    /// The type a `Content-Type` (parameters ignored) or an API `type` names, nil when none does.
    public static func forMIME(_ contentType: String?) -> MediaType? {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(),
            !type.isEmpty
        else { return nil }
        return all.first { $0 != unknown && ($0.mime == type || $0.otherMIMEs.contains(type)) }
    }

    /// The type whose signature the first bytes show, nil when none matches.
    public static func detected(_ prefix: [UInt8]) -> MediaType? {
        all.first { $0.matches?(prefix) == true }
    }

    private static func starts(_ prefix: [UInt8], _ bytes: [UInt8], at offset: Int = 0) -> Bool {
        prefix.count >= offset + bytes.count && Array(prefix[offset..<offset + bytes.count]) == bytes
    }
}

extension MediaType {
    /// Imgur's removed-image placeholder is a 503-byte PNG (docs/imgur-api.md §8).
    public static let removedPlaceholderSize: Int64 = 503

    /// Why `prefix` is not the media the file extension and `Content-Type` promise; nil when it is.
    ///
    /// The bytes must match what either promises (Imgur serves some `.jpg` links as PNG). Where
    /// neither promises a type with a signature, anything but markup passes.
    public static func problem(prefix: [UInt8], fileExtension: String, contentType: String?) -> String? {
        if looksLikeMarkup(prefix) { return "the body is an HTML or XML page" }
        var promised: [MediaType] = []
        for type in [forExtension(fileExtension), forMIME(contentType)] {
            if let type, type.matches != nil, !promised.contains(type) { promised.append(type) }
        }
        guard !promised.isEmpty else { return nil }
        guard let actual = detected(prefix) else {
            return "the first bytes are not \(promised.map(\.name).joined(separator: " or ")) data"
        }
        if promised.contains(actual) { return nil }
        return "the body is \(actual.name) data, not \(promised.map(\.name).joined(separator: " or "))"
    }

    public static func looksLikeMarkup(_ prefix: [UInt8]) -> Bool {
        guard let first = prefix.firstIndex(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) })
        else { return false }
        return prefix[first] == UInt8(ascii: "<")
    }

    public static func isHTML(contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("text/html") || type.hasPrefix("application/xhtml")
    }
}
