import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurAPI

/// `MediaType`: the one table of media types, and recognising media by its first bytes.
@Suite struct MediaTypeTests {
    static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0x00, count: max(0, MediaType.prefixLength - bytes.count))
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
        let kind: MediaType?
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
        #expect(MediaType.detected(sample.bytes) == sample.kind)
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
            MediaType.problem(prefix: check.bytes, fileExtension: check.fileExtension, contentType: check.contentType)
                == check.problem)
    }

    @Test func expectedKinds() {
        #expect(MediaType.forExtension("jpg") == .jpeg)
        #expect(MediaType.forExtension("JFIF") == .jpeg)
        #expect(MediaType.forExtension("gifv") == nil)
        #expect(MediaType.forExtension("mov") == .mp4)
        #expect(MediaType.forExtension("") == nil)
        #expect(MediaType.forMIME("image/jpg") == .jpeg)
        #expect(MediaType.forMIME("video/quicktime") == .mp4)
        #expect(MediaType.forMIME("text/html") == nil)
        #expect(MediaType.forMIME("") == nil)
        #expect(MediaType.forMIME(nil) == nil)
        for type in MediaType.all where type != .unknown {
            #expect(MediaType.forExtension(type.name) == type)
        }
    }

    @Test func htmlContentTypes() {
        #expect(MediaType.isHTML(contentType: "text/html"))
        #expect(MediaType.isHTML(contentType: "text/html; charset=utf-8"))
        #expect(MediaType.isHTML(contentType: "TEXT/HTML"))
        #expect(MediaType.isHTML(contentType: "application/xhtml+xml"))
        #expect(!MediaType.isHTML(contentType: "image/png"))
        #expect(!MediaType.isHTML(contentType: "text/plain"))
        #expect(!MediaType.isHTML(contentType: nil))
    }

    @Test func markupDetection() {
        #expect(MediaType.looksLikeMarkup(Array("<".utf8)))
        #expect(MediaType.looksLikeMarkup(Array("   \n<svg".utf8)))
        #expect(!MediaType.looksLikeMarkup([]))
        #expect(!MediaType.looksLikeMarkup(Array("   ".utf8)))
        #expect(!MediaType.looksLikeMarkup(Array("x<html>".utf8)))
        #expect(!MediaType.looksLikeMarkup(Self.jpeg))
        #expect(!MediaType.looksLikeMarkup(Self.png))
    }
}
