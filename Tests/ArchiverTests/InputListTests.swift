import Foundation
import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI
@testable import Jobs

/// `InputList`: links.txt and command-line inputs, deduplicated, with their origins.
@Suite struct InputListTests {
    final class Folder {
        let path: String

        init() throws {
            path = (NSTemporaryDirectory() as NSString).appendingPathComponent("input-list-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        func write(_ text: String, to name: String = "links.txt") throws -> String {
            let file = "\(path)/\(name)"
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            return file
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    static func id(_ text: String) -> ImgurID { ImgurID(text)! }

    static func read(_ text: String, name: String = "links.txt") throws -> InputList {
        let folder = try Folder()
        defer { folder.remove() }
        return try InputList.read(linksFile: try folder.write(text, to: name))
    }

    @Test func readsAMixedLinksFile() throws {
        let lines = [
            "\u{FEFF}AbCdE",  // 1: BOM before the first entry
            "",  // 2
            "# albums to keep",  // 3
            "   https://imgur.com/a/q6i58   # trailing comment",  // 4
            "imgur.com/gallery/AbCdE\r",  // 5: same album as line 1, CRLF
            "https://imgur.com/a/AbCdE",  // 6: same again
            "not an id!",  // 7
            "https://example.com/a/XyZ12",  // 8
            "https://i.imgur.com/AbCdE.jpg",  // 9: the image AbCdE, not the album
            "\t  \t",  // 10
            "AbCdE,q6i58",  // 11
            "https://imgur.com/a/",  // 12
            "imgur.com/user/SomeOne",  // 13
            "https://imgur.com/user/someone\r",  // 14: user names ignore case
            "https://imgur.com/t/funny/ZZZZZ",  // 15
            "https://imgur.com/gallery/ZZZZZ?x=1",  // 16
            "\tq6i58\t",  // 17
            "  #https://imgur.com/a/NoTmE  ",  // 18: a commented-out entry
        ]
        let list = try Self.read(lines.joined(separator: "\n") + "\n")
        #expect(
            list.entries == [
                InputEntry(reference: .albumOrImage(Self.id("AbCdE")), origin: "links.txt line 1"),
                InputEntry(reference: .album(Self.id("q6i58")), origin: "links.txt line 4"),
                InputEntry(reference: .image(Self.id("AbCdE")), origin: "links.txt line 9"),
                InputEntry(reference: .user("SomeOne"), origin: "links.txt line 13"),
                InputEntry(reference: .gallery(Self.id("ZZZZZ")), origin: "links.txt line 15"),
            ])
        #expect(list.duplicates == 5)
        #expect(
            list.invalid == [
                InvalidInput(origin: "links.txt line 7", error: .invalidID("not an id!")),
                InvalidInput(origin: "links.txt line 8", error: .notImgur("https://example.com/a/XyZ12")),
                InvalidInput(origin: "links.txt line 11", error: .idList("AbCdE,q6i58")),
                InvalidInput(origin: "links.txt line 12", error: .noID("https://imgur.com/a/")),
            ])
        #expect(
            list.invalid.map(\.description) == [
                "links.txt line 7: not a valid Imgur id (5 to 7 letters or digits): not an id!",
                "links.txt line 8: not an Imgur id or URL: https://example.com/a/XyZ12",
                "links.txt line 11: comma-separated id lists are not supported, give one id per line: AbCdE,q6i58",
                "links.txt line 12: no album or image id in URL: https://imgur.com/a/",
            ])
    }

    struct Text: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        var testDescription: String { name }
    }

    /// The same two albums, written in different ways.
    static let equivalentFiles: [Text] = [
        Text(name: "plain", text: "AbCdE\nq6i58\n"),
        Text(name: "no final newline", text: "AbCdE\nq6i58"),
        Text(name: "CRLF", text: "AbCdE\r\nq6i58\r\n"),
        Text(name: "BOM and CRLF", text: "\u{FEFF}AbCdE\r\nq6i58\r\n"),
        Text(name: "BOM, no final newline", text: "\u{FEFF}AbCdE\nq6i58"),
        Text(name: "indented", text: "  AbCdE  \n\t\tq6i58\t\n"),
        Text(name: "comments", text: "AbCdE # first\nq6i58#second\n# https://imgur.com/a/ZZZZZ\n"),
    ]

    @Test(arguments: equivalentFiles)
    func readsEquivalentFilesTheSameWay(file: Text) throws {
        let list = try Self.read(file.text)
        #expect(list.entries.map(\.reference) == [.albumOrImage(Self.id("AbCdE")), .albumOrImage(Self.id("q6i58"))])
        #expect(list.invalid.isEmpty)
        #expect(list.duplicates == 0)
    }

    @Test func blankLinesAndCommentsStillCountForLineNumbers() throws {
        let list = try Self.read("\n\n# one\n   \n\r\nAbCdE\n#\n q6i58")
        #expect(
            list.entries == [
                InputEntry(reference: .albumOrImage(Self.id("AbCdE")), origin: "links.txt line 6"),
                InputEntry(reference: .albumOrImage(Self.id("q6i58")), origin: "links.txt line 8"),
            ])
    }

    @Test(arguments: ["", "\n", "\n\n\n", "# nothing here\n", "\u{FEFF}", "\u{FEFF}\n", "\r\n\r\n", " \t \n"])
    func filesWithoutEntries(text: String) throws {
        let list = try Self.read(text)
        #expect(list == InputList())
    }

    @Test func theSameAlbumByIDURLAndGalleryIsCountedOnce() throws {
        let list = try Self.read(
            """
            AbCdE
            https://imgur.com/a/AbCdE
            https://imgur.com/a/some-title-AbCdE
            https://imgur.com/gallery/AbCdE
            https://imgur.com/gallery/another-title-AbCdE
            imgur.com/r/pics/AbCdE
            https://m.imgur.com/a/AbCdE/
            """)
        #expect(list.entries == [InputEntry(reference: .albumOrImage(Self.id("AbCdE")), origin: "links.txt line 1")])
        #expect(list.duplicates == 6)
        #expect(list.invalid.isEmpty)
    }

    @Test func aGalleryLinkFirstKeepsTheGalleryReference() throws {
        let list = try Self.read("https://imgur.com/gallery/AbCdE\nAbCdE\n")
        #expect(list.entries == [InputEntry(reference: .gallery(Self.id("AbCdE")), origin: "links.txt line 1")])
        #expect(list.duplicates == 1)
    }

    @Test func idsDifferingOnlyInCaseAreDifferentAlbums() throws {
        let list = try Self.read("AbCdE\nabcde\nABCDE\n")
        #expect(list.entries.map(\.reference) == [.albumOrImage(Self.id("AbCdE")), .albumOrImage(Self.id("abcde")), .albumOrImage(Self.id("ABCDE"))])
        #expect(list.duplicates == 0)
    }

    @Test func theOriginNamesTheFileItCameFrom() throws {
        let list = try Self.read("AbCdE\nbad id\n", name: "my-albums.txt")
        #expect(list.entries == [InputEntry(reference: .albumOrImage(Self.id("AbCdE")), origin: "my-albums.txt line 1")])
        #expect(list.invalid == [InvalidInput(origin: "my-albums.txt line 2", error: .invalidID("bad id"))])
    }

    @Test func aBOMIsOnlySkippedOnTheFirstLine() throws {
        let list = try Self.read("AbCdE\n\u{FEFF}q6i58\n")
        #expect(list.entries.map(\.reference) == [.albumOrImage(Self.id("AbCdE"))])
        #expect(list.invalid == [InvalidInput(origin: "links.txt line 2", error: .invalidID("\u{FEFF}q6i58"))])
    }

    @Test func readsALongFile() throws {
        var text = ""
        for number in 0..<20_000 { text += String(format: "Id%05d\n", number % 15_000) }
        let list = try Self.read(text)
        #expect(list.entries.count == 15_000)
        #expect(list.duplicates == 5_000)
        #expect(list.entries.last == InputEntry(reference: .albumOrImage(Self.id("Id14999")), origin: "links.txt line 15000"))
    }

    @Test func aMissingFileIsAReadError() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let path = "\(folder.path)/links.txt"
        #expect(throws: FileError.read(path: path, reason: "No such file or directory")) {
            _ = try InputList.read(linksFile: path)
        }
    }

    // MARK: - add

    @Test func addTakesIDsAndURLs() {
        var list = InputList()
        list.add("https://imgur.com/a/AbCdE", origin: "argument 1")
        list.add("q6i58", origin: "argument 2")
        list.add("https://imgur.com/gallery/AbCdE", origin: "argument 3")
        list.add("  https://i.imgur.com/XyZ12.png  ", origin: "argument 4")
        list.add("https://imgur.com/XyZ12", origin: "argument 5")
        list.add("https://example.org/a/AbCdE", origin: "argument 6")
        list.add("", origin: "argument 7")
        list.add("https://imgur.com/user/name", origin: "argument 8")
        #expect(
            list.entries == [
                InputEntry(reference: .album(Self.id("AbCdE")), origin: "argument 1"),
                InputEntry(reference: .albumOrImage(Self.id("q6i58")), origin: "argument 2"),
                InputEntry(reference: .image(Self.id("XyZ12")), origin: "argument 4"),
                InputEntry(reference: .user("name"), origin: "argument 8"),
            ])
        #expect(list.duplicates == 2)
        #expect(
            list.invalid == [
                InvalidInput(origin: "argument 6", error: .notImgur("https://example.org/a/AbCdE")),
                InvalidInput(origin: "argument 7", error: .empty),
            ])
        #expect(list.invalid.map(\.description) == [
            "argument 6: not an Imgur id or URL: https://example.org/a/AbCdE", "argument 7: empty entry",
        ])
    }

    @Test func anInvalidEntryIsNotRememberedAsSeen() {
        var list = InputList()
        list.add("bad!", origin: "argument 1")
        list.add("bad!", origin: "argument 2")
        #expect(list.entries.isEmpty)
        #expect(list.duplicates == 0)
        #expect(list.invalid.map(\.origin) == ["argument 1", "argument 2"])
    }
}
