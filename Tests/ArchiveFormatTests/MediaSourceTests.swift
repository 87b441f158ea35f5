import Foundation
import Testing

@testable import ArchiveFormat
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurAPI

@Suite struct MediaSourceTests {
    /// One row: the image fields, the preference, and what must be downloaded (nil: nothing).
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var fields: [String: JSONValue]
        var preference: AnimatedFormat
        var expected: (url: String, ext: String, mp4: Bool)?

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "static jpg", fields: ["type": "image/jpeg", "link": "https://i.imgur.com/AbCdEfG.jpg"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.jpg", "jpg", false)),
        Case(name: "?1 query keeps the URL", fields: ["type": "image/jpeg", "link": "https://i.imgur.com/AbCdEfG.jpg?1"],
             preference: .mp4, expected: ("https://i.imgur.com/AbCdEfG.jpg?1", "jpg", false)),
        Case(name: "jpeg becomes jpg", fields: ["type": "image/jpeg", "link": "https://i.imgur.com/AbCdEfG.jpeg"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.jpeg", "jpg", false)),
        Case(name: "upper-case extension", fields: ["type": "image/jpeg", "link": "https://i.imgur.com/AbCdEfG.JPEG"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.JPEG", "jpg", false)),
        Case(name: "static png with empty mp4",
             fields: ["type": "image/png", "animated": false, "link": "https://i.imgur.com/AbCdEfG.png", "mp4": ""],
             preference: .mp4, expected: ("https://i.imgur.com/AbCdEfG.png", "png", false)),
        Case(name: "small animated gif, gif preferred",
             fields: ["type": "image/gif", "animated": true, "size": 1_000_000, "mp4_size": 300_000,
                      "link": "https://i.imgur.com/AbCdEfG.gif", "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.gif", "gif", false)),
        Case(name: "small animated gif, mp4 preferred",
             fields: ["type": "image/gif", "animated": true, "size": 1_000_000, "mp4_size": 300_000,
                      "link": "https://i.imgur.com/AbCdEfG.gif", "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .mp4, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", true)),
        Case(name: "animated gif without mp4, mp4 preferred",
             fields: ["type": "image/gif", "animated": true, "link": "https://i.imgur.com/AbCdEfG.gif"],
             preference: .mp4, expected: ("https://i.imgur.com/AbCdEfG.gif", "gif", false)),
        Case(name: "gif over 20 MB by size",
             fields: ["type": "image/gif", "animated": true, "size": 20_000_001, "mp4_size": 5_000_000,
                      "link": "https://i.imgur.com/AbCdEfG.gif", "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", true)),
        Case(name: "gif over 20 MB by mp4_size",
             fields: ["type": "image/gif", "animated": true, "size": 2_000_000, "mp4_size": 20_000_001,
                      "link": "https://i.imgur.com/AbCdEfG.gif", "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", true)),
        Case(name: "gif of exactly 20 MB is not a thumbnail",
             fields: ["type": "image/gif", "animated": true, "size": 20_000_000,
                      "link": "https://i.imgur.com/AbCdEfG.gif", "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.gif", "gif", false)),
        Case(name: "gif recognised by its link alone",
             fields: ["animated": true, "link": "https://i.imgur.com/AbCdEfG.gif", "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .mp4, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", true)),
        Case(name: "animated png without mp4",
             fields: ["type": "image/png", "animated": true, "link": "https://i.imgur.com/AbCdEfG.png"],
             preference: .mp4, expected: ("https://i.imgur.com/AbCdEfG.png", "png", false)),
        Case(name: "video",
             fields: ["type": "video/mp4", "animated": true, "link": "https://i.imgur.com/AbCdEfG.mp4",
                      "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", false)),
        Case(name: "gifv link with mp4",
             fields: ["type": "image/gif", "animated": false, "link": "https://i.imgur.com/AbCdEfG.gifv",
                      "mp4": "https://i.imgur.com/AbCdEfG.mp4?v=2"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.mp4?v=2", "mp4", true)),
        Case(name: "gifv link without mp4",
             fields: ["link": "https://i.imgur.com/AbCdEfG.gifv"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", true)),
        Case(name: "upper-case GIFV link",
             fields: ["link": "https://i.imgur.com/AbCdEfG.GIFV"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", true)),
        Case(name: "no link but mp4",
             fields: ["type": "video/mp4", "mp4": "https://i.imgur.com/AbCdEfG.mp4"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.mp4", "mp4", true)),
        Case(name: "no link at all", fields: ["type": "image/jpeg"], preference: .gif, expected: nil),
        Case(name: "unusable link and no mp4", fields: ["link": "javascript:alert(1)", "mp4": ""],
             preference: .mp4, expected: nil),
        Case(name: "too long extension, type known",
             fields: ["type": "image/png", "link": "https://i.imgur.com/AbCdEfG.toolongext"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.toolongext", "png", false)),
        Case(name: "too long extension, no type",
             fields: ["link": "https://i.imgur.com/AbCdEfG.toolongext"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.toolongext", "bin", false)),
        Case(name: "no extension, webp type",
             fields: ["type": "image/webp", "link": "https://i.imgur.com/AbCdEfG"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG", "webp", false)),
        Case(name: "no extension, unknown type",
             fields: ["type": "application/x-thing", "link": "https://i.imgur.com/AbCdEfG"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG", "bin", false)),
        Case(name: "extension with punctuation",
             fields: ["type": "video/webm", "link": "https://i.imgur.com/AbCdEfG.we-bm"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.we-bm", "webm", false)),
        Case(name: "encoded dots in the extension",
             fields: ["type": "image/gif", "link": "https://i.imgur.com/AbCdEfG.%2E%2E"],
             preference: .gif, expected: ("https://i.imgur.com/AbCdEfG.%2E%2E", "gif", false)),
    ]

    @Test(arguments: cases)
    func source(_ row: Case) throws {
        var fields = row.fields
        fields["id"] = "AbCdEfG"
        let image = try Image(json: .object(fields))
        let source = image.mediaSource(animated: row.preference)
        guard let expected = row.expected else {
            #expect(source == nil)
            return
        }
        let found = try #require(source)
        #expect(found.url.absoluteString == expected.url)
        #expect(found.fileExtension == expected.ext)
        #expect(found.isMP4Alternative == expected.mp4)
    }

    /// The extension goes into a file name: whatever the link, it is short, lower-case letters and digits.
    @Test(arguments: [
        "https://i.imgur.com/AbCdEfG.jpg", "https://i.imgur.com/AbCdEfG.", "https://i.imgur.com/AbCdEfG.a/b",
        "https://i.imgur.com/AbCdEfG.%2F", "https://i.imgur.com/..", "https://i.imgur.com/AbCdEfG.ÄÖÜ",
        "https://i.imgur.com/a.b.c.d", "https://i.imgur.com/AbCdEfG.tar.gz", "https://i.imgur.com/AbCdEfG.x%00",
    ])
    func extensionIsAlwaysFileNameSafe(link: String) throws {
        let image = try Image(json: ["id": "AbCdEfG", "link": .string(link)])
        let source = try #require(image.mediaSource(animated: .gif))
        #expect((1...5).contains(source.fileExtension.count))
        #expect(source.fileExtension.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
        })
    }

    /// An extension that is not a media type's (a server-side script name like `.php`) must not name an
    /// archived file: it is taken from `type`, else `bin` (an earlier check kept any 1-5 letter extension).
    @Test(arguments: [("image/jpeg", "jpg"), ("image/png", "png"), (nil, "bin")] as [(String?, String)])
    func scriptExtensionIsNotKept(type: String?, expected: String) throws {
        var fields: [String: JSONValue] = ["id": "AbCdEfG", "link": "https://i.imgur.com/AbCdEfG.php"]
        if let type { fields["type"] = .string(type) }
        let source = try #require(try Image(json: .object(fields)).mediaSource(animated: .gif))
        #expect(source.url.absoluteString == "https://i.imgur.com/AbCdEfG.php")
        #expect(source.fileExtension == expected)
    }

    @Test func animatedFormatNames() {
        #expect(AnimatedFormat.allCases == [.gif, .mp4])
        #expect(AnimatedFormat(rawValue: "mp4") == .mp4)
        #expect(AnimatedFormat(rawValue: "webm") == nil)
        #expect(Image.gifThumbnailThreshold == 20_000_000)
    }
}
