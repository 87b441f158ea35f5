/// Recognises media by its first bytes, so that an error page, a placeholder or garbage served
/// under a media URL is never saved as media.
enum MediaSignature {
    /// Bytes needed to recognise every kind below.
    static let prefixLength = 16

    enum Kind: String, CaseIterable {
        case jpeg, png, gif, webp, mp4, webm, bmp, tiff, avif

        /// The MIME type recorded as a media file's `detected_type`.
        var mimeType: String {
            switch self {
            case .jpeg: "image/jpeg"
            case .png: "image/png"
            case .gif: "image/gif"
            case .webp: "image/webp"
            case .mp4: "video/mp4"
            case .webm: "video/webm"
            case .bmp: "image/bmp"
            case .tiff: "image/tiff"
            case .avif: "image/avif"
            }
        }
    }

    /// The MIME type of a file whose first bytes are `prefix`, nil when unrecognised.
    static func detectedType(_ prefix: [UInt8]) -> String? {
        kind(of: prefix)?.mimeType
    }

    /// Imgur's removed-image placeholder is a 503-byte PNG (`imgur-api.md` §8).
    static let removedPlaceholderSize: Int64 = 503

    static func kind(of prefix: [UInt8]) -> Kind? {
        func starts(_ bytes: [UInt8], at offset: Int = 0) -> Bool {
            prefix.count >= offset + bytes.count && Array(prefix[offset..<offset + bytes.count]) == bytes
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts(Array("ftypavif".utf8), at: 4) || starts(Array("ftypavis".utf8), at: 4) { return .avif }
        if starts(Array("ftyp".utf8), at: 4) || starts(Array("moov".utf8), at: 4) || starts(Array("mdat".utf8), at: 4)
            || starts(Array("free".utf8), at: 4) || starts(Array("wide".utf8), at: 4)
        {
            return .mp4
        }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) { return .webm }
        if starts(Array("BM".utf8)) { return .bmp }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        return nil
    }

    /// The kind a file extension or MIME type promises, nil when we cannot tell.
    static func expected(fileExtension: String) -> Kind? {
        switch fileExtension.lowercased() {
        case "jpg", "jpeg", "jfif": return .jpeg
        case "png", "apng": return .png
        case "gif": return .gif
        case "webp": return .webp
        case "mp4", "m4v", "mov": return .mp4
        case "webm", "mkv": return .webm
        case "bmp": return .bmp
        case "tif", "tiff": return .tiff
        case "avif": return .avif
        default: return nil
        }
    }

    static func expected(contentType: String?) -> Kind? {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        else { return nil }
        switch type {
        case "image/jpeg", "image/jpg", "image/pjpeg": return .jpeg
        case "image/png", "image/apng": return .png
        case "image/gif": return .gif
        case "image/webp": return .webp
        case "video/mp4", "video/quicktime", "video/x-m4v": return .mp4
        case "video/webm": return .webm
        case "image/bmp": return .bmp
        case "image/tiff": return .tiff
        case "image/avif": return .avif
        default: return nil
        }
    }

    /// Why `prefix` is not the media the extension and Content-Type promise; nil when it is.
    ///
    /// The bytes must match what either the file extension or the server's Content-Type promises
    /// (Imgur serves some `.jpg` links as PNG). Where neither says, anything but markup passes.
    static func problem(prefix: [UInt8], fileExtension: String, contentType: String?) -> String? {
        if looksLikeMarkup(prefix) { return "the body is an HTML or XML page" }
        var promised: [Kind] = []
        for kind in [expected(fileExtension: fileExtension), expected(contentType: contentType)] {
            if let kind, !promised.contains(kind) { promised.append(kind) }
        }
        guard !promised.isEmpty else { return nil }
        guard let actual = kind(of: prefix) else {
            return "the first bytes are not \(promised.map(\.rawValue).joined(separator: " or ")) data"
        }
        if promised.contains(actual) { return nil }
        return "the body is \(actual.rawValue) data, not \(promised.map(\.rawValue).joined(separator: " or "))"
    }

    static func looksLikeMarkup(_ prefix: [UInt8]) -> Bool {
        guard let first = prefix.firstIndex(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) })
        else { return false }
        return prefix[first] == UInt8(ascii: "<")
    }

    static func isHTML(contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        return type.hasPrefix("text/html") || type.hasPrefix("application/xhtml")
    }
}
