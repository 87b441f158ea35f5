import Testing

@testable import ImgurArchive

/// `MediaSignature`: recognising media by its first bytes; `ContentRange` parsing.
@Suite struct MediaSignatureTests {
    static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0x00, count: max(0, MediaSignature.prefixLength - bytes.count))
    }

    static let jpeg = padded([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8))
    static let png = padded([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D] + Array("IHDR".utf8))
    static let gif89 = padded(Array("GIF89a".utf8) + [0x01, 0x00, 0x01, 0x00])
    static let gif87 = padded(Array("GIF87a".utf8) + [0x01, 0x00, 0x01, 0x00])
    static let webp = padded(Array("RIFF".utf8) + [0x24, 0x00, 0x00, 0x00] + Array("WEBPVP8 ".utf8))
    static let mp4 = padded([0x00, 0x00, 0x00, 0x20] + Array("ftypisom".utf8) + [0x00, 0x00, 0x02, 0x00])
    static let mp4Moov = padded([0x00, 0x00, 0x10, 0x00] + Array("moov".utf8))
    static let webm = padded([0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01])
    static let avif = padded([0x00, 0x00, 0x00, 0x1C] + Array("ftypavif".utf8))
    static let bmp = padded(Array("BM".utf8) + [0x36, 0x00, 0x0C, 0x00])
    static let tiff = padded([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00])
    static let html = Array("<!DOCTYPE html><html>".utf8)

    struct Sample: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let kind: MediaSignature.Kind?
        var testDescription: String { name }
    }

    static let samples: [Sample] = [
        Sample(name: "jpeg", bytes: jpeg, kind: .jpeg),
        Sample(name: "png", bytes: png, kind: .png),
        Sample(name: "gif89a", bytes: gif89, kind: .gif),
        Sample(name: "gif87a", bytes: gif87, kind: .gif),
        Sample(name: "webp", bytes: webp, kind: .webp),
        Sample(name: "mp4 ftyp", bytes: mp4, kind: .mp4),
        Sample(name: "mp4 moov first", bytes: mp4Moov, kind: .mp4),
        Sample(name: "webm", bytes: webm, kind: .webm),
        Sample(name: "avif", bytes: avif, kind: .avif),
        Sample(name: "bmp", bytes: bmp, kind: .bmp),
        Sample(name: "tiff", bytes: tiff, kind: .tiff),
        Sample(name: "html", bytes: html, kind: nil),
        Sample(name: "empty", bytes: [], kind: nil),
        Sample(name: "two jpeg bytes", bytes: [0xFF, 0xD8], kind: nil),
        Sample(name: "png without its last byte", bytes: Array(png.prefix(7)), kind: nil),
        Sample(name: "RIFF but WAVE", bytes: padded(Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVE".utf8)), kind: nil),
        Sample(name: "GIF90a", bytes: padded(Array("GIF90a".utf8)), kind: nil),
        Sample(name: "zeros", bytes: padded([]), kind: nil),
        Sample(name: "JSON", bytes: Array(#"{"error":"x"}"#.utf8), kind: nil),
    ]

    @Test(arguments: samples)
    func recognisesKinds(sample: Sample) {
        #expect(MediaSignature.kind(of: sample.bytes) == sample.kind)
    }

    struct Check: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let fileExtension: String
        let contentType: String?
        let problem: String?
        var testDescription: String { name }
    }

    static let markup = "the body is an HTML or XML page"

    static let checks: [Check] = [
        // The right bytes.
        Check(name: "jpeg as .jpg, image/jpeg", bytes: jpeg, fileExtension: "jpg", contentType: "image/jpeg", problem: nil),
        Check(name: "jpeg as .JPEG, no type", bytes: jpeg, fileExtension: "JPEG", contentType: nil, problem: nil),
        Check(name: "png as .png", bytes: png, fileExtension: "png", contentType: "image/png", problem: nil),
        Check(name: "gif as .gif", bytes: gif89, fileExtension: "gif", contentType: "image/gif", problem: nil),
        Check(name: "webp as .webp", bytes: webp, fileExtension: "webp", contentType: "image/webp", problem: nil),
        Check(name: "mp4 as .mp4", bytes: mp4, fileExtension: "mp4", contentType: "video/mp4", problem: nil),
        Check(name: "webm as .webm", bytes: webm, fileExtension: "webm", contentType: "video/webm", problem: nil),
        Check(
            name: "content type with parameters", bytes: png, fileExtension: "png",
            contentType: " Image/PNG ; charset=binary", problem: nil),
        // Imgur serves some .jpg links as PNG: the Content-Type decides.
        Check(name: "png under .jpg, image/png", bytes: png, fileExtension: "jpg", contentType: "image/png", problem: nil),
        Check(name: "mp4 under .gif, video/mp4", bytes: mp4, fileExtension: "gif", contentType: "video/mp4", problem: nil),
        Check(name: "jpeg under .png, type unknown", bytes: jpeg, fileExtension: "png", contentType: "application/octet-stream",
            problem: "the body is jpeg data, not png"),
        Check(name: "jpeg with no extension, image/png", bytes: jpeg, fileExtension: "", contentType: "image/png",
            problem: "the body is jpeg data, not png"),
        Check(
            name: "gif under .jpg, image/png", bytes: gif89, fileExtension: "jpg", contentType: "image/png",
            problem: "the body is gif data, not jpeg or png"),
        Check(
            name: "unrecognised bytes under .mp4, image/gif", bytes: padded(Array("garbage".utf8)), fileExtension: "mp4",
            contentType: "image/gif", problem: "the first bytes are not mp4 or gif data"),
        // Nothing promised: anything but markup.
        Check(name: "unknown extension and type", bytes: padded([0x42, 0x42, 0x42]), fileExtension: "bin",
            contentType: "application/octet-stream", problem: nil),
        Check(name: "unknown extension, no type", bytes: padded(Array("plain text".utf8)), fileExtension: "dat",
            contentType: nil, problem: nil),
        Check(name: "unknown extension, empty body", bytes: [], fileExtension: "xyz", contentType: nil, problem: nil),
        Check(name: "png under an unknown extension", bytes: png, fileExtension: "raw", contentType: "text/plain",
            problem: nil),
        Check(name: "html under an unknown extension", bytes: html, fileExtension: "bin", contentType: nil, problem: markup),
        // Markup is never media.
        Check(name: "html as .jpg", bytes: html, fileExtension: "jpg", contentType: "image/jpeg", problem: markup),
        Check(name: "html as .jpg, text/html", bytes: html, fileExtension: "jpg", contentType: "text/html", problem: markup),
        Check(name: "html after whitespace", bytes: Array(" \r\n\t<!DOCTYPE html>".utf8), fileExtension: "png",
            contentType: "image/png", problem: markup),
        Check(name: "html after a BOM", bytes: [0xEF, 0xBB, 0xBF] + Array("<html>".utf8), fileExtension: "gif",
            contentType: nil, problem: markup),
        Check(name: "xml", bytes: Array("<?xml version=\"1.0\"?>".utf8), fileExtension: "mp4", contentType: "video/mp4",
            problem: markup),
        Check(name: "lower-case doctype", bytes: Array("\n\n<!doctype html>".utf8), fileExtension: "webm",
            contentType: nil, problem: markup),
        // Wrong bytes for what was promised.
        Check(name: "empty body as .jpg", bytes: [], fileExtension: "jpg", contentType: nil,
            problem: "the first bytes are not jpeg data"),
        Check(name: "JSON error as .png", bytes: Array(#"{"error":"x"}"#.utf8), fileExtension: "png", contentType: nil,
            problem: "the first bytes are not png data"),
        Check(name: "gif under .mp4", bytes: gif89, fileExtension: "mp4", contentType: nil,
            problem: "the body is gif data, not mp4"),
        // Extension and type agree: name the kind once.
        Check(name: "png under .jpg, image/jpeg", bytes: png, fileExtension: "jpg", contentType: "image/jpeg",
            problem: "the body is png data, not jpeg"),
        Check(name: "zeros under .jpg, image/jpeg", bytes: padded([]), fileExtension: "jpg", contentType: "image/jpeg",
            problem: "the first bytes are not jpeg data"),
        Check(name: "webm under .mp4, video/mp4", bytes: webm, fileExtension: "mp4", contentType: "video/mp4",
            problem: "the body is webm data, not mp4"),
    ]

    @Test(arguments: checks)
    func problem(check: Check) {
        #expect(
            MediaSignature.problem(prefix: check.bytes, fileExtension: check.fileExtension, contentType: check.contentType)
                == check.problem)
    }

    @Test func expectedKinds() {
        #expect(MediaSignature.expected(fileExtension: "jpg") == .jpeg)
        #expect(MediaSignature.expected(fileExtension: "JFIF") == .jpeg)
        #expect(MediaSignature.expected(fileExtension: "gifv") == nil)
        #expect(MediaSignature.expected(fileExtension: "mov") == .mp4)
        #expect(MediaSignature.expected(fileExtension: "") == nil)
        #expect(MediaSignature.expected(contentType: "image/jpg") == .jpeg)
        #expect(MediaSignature.expected(contentType: "video/quicktime") == .mp4)
        #expect(MediaSignature.expected(contentType: "text/html") == nil)
        #expect(MediaSignature.expected(contentType: "") == nil)
        #expect(MediaSignature.expected(contentType: nil) == nil)
        for kind in MediaSignature.Kind.allCases {
            #expect(MediaSignature.expected(fileExtension: kind.rawValue) == kind)
        }
    }

    @Test func htmlContentTypes() {
        #expect(MediaSignature.isHTML(contentType: "text/html"))
        #expect(MediaSignature.isHTML(contentType: "text/html; charset=utf-8"))
        #expect(MediaSignature.isHTML(contentType: "TEXT/HTML"))
        #expect(MediaSignature.isHTML(contentType: "application/xhtml+xml"))
        #expect(!MediaSignature.isHTML(contentType: "image/png"))
        #expect(!MediaSignature.isHTML(contentType: "text/plain"))
        #expect(!MediaSignature.isHTML(contentType: nil))
    }

    @Test func markupDetection() {
        #expect(MediaSignature.looksLikeMarkup(Array("<".utf8)))
        #expect(MediaSignature.looksLikeMarkup(Array("   \n<svg".utf8)))
        #expect(!MediaSignature.looksLikeMarkup([]))
        #expect(!MediaSignature.looksLikeMarkup(Array("   ".utf8)))
        #expect(!MediaSignature.looksLikeMarkup(Array("x<html>".utf8)))
        #expect(!MediaSignature.looksLikeMarkup(Self.jpeg))
        #expect(!MediaSignature.looksLikeMarkup(Self.png))
    }

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
