import Foundation
import TestSupport
import Testing

@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI

@Suite struct ModelTests {
    private func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(Data(text.utf8))
    }

    private func albumError(_ value: JSONValue) -> ImgurAPIError? {
        do throws(ImgurAPIError) {
            _ = try Album(json: value)
            return nil
        } catch {
            return error
        }
    }

    private func imageError(_ value: JSONValue) -> ImgurAPIError? {
        do throws(ImgurAPIError) {
            _ = try Image(json: value)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Album

    static let albumText = #"""
        {"id":"q6i58","title":null,"description":null,"datetime":1495556889,"cover":"AbCdEfG","account_url":null,
        "privacy":"hidden","layout":"blog","views":12,"link":"https:\/\/imgur.com\/a\/q6i58","nsfw":null,
        "images_count":2,"is_album":true,"images":[
          {"id":"AbCdEfG","title":"first","description":null,"datetime":1495556800,"type":"image\/jpeg",
           "animated":false,"size":1234,"link":"https:\/\/i.imgur.com\/AbCdEfG.jpg","edited":"0","mp4":"","hls":""},
          {"id":"x1y2z","title":null,"description":"second","datetime":"1495556801","type":"image\/gif",
           "animated":true,"size":25000000,"mp4_size":1500000,"link":"https:\/\/i.imgur.com\/x1y2z.gif",
           "mp4":"https:\/\/i.imgur.com\/x1y2z.mp4","bandwidth":7050020626740}
        ]}
        """#

    @Test func albumWithImages() throws {
        let raw = try json(Self.albumText)
        let album = try Album(json: raw)
        #expect(album.id.rawValue == "q6i58")
        #expect(album.title == nil)
        #expect(album.description == nil)
        #expect(album.datetime == 1_495_556_889)
        #expect(album.imagesCount == 2)
        #expect(album.raw == raw)
        #expect(album.images.map(\.id.rawValue) == ["AbCdEfG", "x1y2z"])

        let first = try #require(album.images.first)
        #expect(first.title == "first")
        #expect(first.description == nil)
        #expect(first.type == "image/jpeg")
        #expect(!first.animated)
        #expect(first.size == 1234)
        #expect(first.link == testURL("https://i.imgur.com/AbCdEfG.jpg"))
        #expect(first.mp4 == nil)  // "mp4": "" means absent
        #expect(first.mp4Size == nil)
        #expect(first.raw["edited"] == "0")
        #expect(first.raw["edited"]?.int64Value == 0)
        #expect(first.raw["hls"] == "")

        let second = try #require(album.images.last)
        #expect(second.title == nil)
        #expect(second.description == "second")
        #expect(second.datetime == 1_495_556_801)  // a decimal string counts
        #expect(second.animated)
        #expect(second.size == 25_000_000)
        #expect(second.mp4Size == 1_500_000)
        #expect(second.mp4 == testURL("https://i.imgur.com/x1y2z.mp4"))
        #expect(second.raw["bandwidth"] == .int(7_050_020_626_740))
    }

    @Test func albumWithoutImagesKey() throws {
        let album = try Album(json: ["id": "q6i58", "title": "Trip", "description": "Days"])
        #expect(album.images.isEmpty)
        #expect(album.title == "Trip")
        #expect(album.description == "Days")
        #expect(album.imagesCount == nil)
        #expect(album.datetime == nil)
    }

    @Test func albumWithNullImages() throws {
        let album = try Album(json: ["id": "q6i58", "images": nil, "images_count": 0])
        #expect(album.images.isEmpty)
        #expect(album.imagesCount == 0)
    }

    @Test func albumWithEmptyImages() throws {
        #expect(try Album(json: ["id": "AbCdEfG", "images": []]).images.isEmpty)
    }

    @Test func albumTitleOfAnotherTypeIsAbsent() throws {
        let album = try Album(json: ["id": "q6i58", "title": 5, "description": ["x"]])
        #expect(album.title == nil)
        #expect(album.description == nil)
    }

    static let badAlbums: [(JSONValue, ImgurAPIError)] = [
        ([1, 2], .malformedResponse("album is not an object")),
        ("q6i58", .malformedResponse("album is not an object")),
        (["title": "x"], .malformedResponse("album without an id")),
        (["id": nil], .malformedResponse("album without an id")),
        (["id": 12345], .malformedResponse("album without an id")),
        (["id": "../etc"], .malformedResponse(#"album id "../etc" is not an Imgur id"#)),
        (["id": "q6i58", "images": "none"], .malformedResponse("album q6i58 has an `images` field that is not a list")),
        (["id": "q6i58", "images": ["id": "AbCdEfG"]],
         .malformedResponse("album q6i58 has an `images` field that is not a list")),
    ]

    @Test(arguments: badAlbums)
    func malformedAlbums(value: JSONValue, expected: ImgurAPIError) {
        #expect(albumError(value) == expected)
    }

    /// One bad item does not cost the album its good ones: it is left out, with why.
    static let badItems: [(JSONValue, [RefusedItem])] = [
        (["id": "q6i58", "images": [["id": "../etc"]]],
         [RefusedItem(index: 1, reason: #"malformed answer from Imgur: media id "../etc" is not an Imgur id"#)]),
        (["id": "q6i58", "images": [["id": "AbCdEfG"], ["title": "no id"]]],
         [RefusedItem(index: 2, reason: "malformed answer from Imgur: media item without an id")]),
        (["id": "q6i58", "images": [nil, ["id": "AbCdEfG"]]],
         [RefusedItem(index: 1, reason: "malformed answer from Imgur: media item is not an object")]),
    ]

    @Test(arguments: badItems)
    func badItemsAreRefusedAndTheRestKept(value: JSONValue, refused: [RefusedItem]) throws {
        let album = try Album(json: value)
        #expect(album.refused == refused)
        #expect(album.images.count + refused.count == value["images"]?.arrayValue?.count)
    }

    // MARK: Image

    static let badImageIDs: [(String, String)] = [
        ("../etc", #""../etc""#),
        ("a/b", #""a/b""#),
        ("..", #""..""#),
        ("abc.jpg", #""abc.jpg""#),
        ("", #""""#),
        ("abcd", #""abcd""#),
        ("AbCdEfGh", #""AbCdEfGh""#),
        (String(repeating: "a", count: 40), "\"" + String(repeating: "a", count: 40) + "\""),
        // Longer ids are cut to 40 characters in the message.
        (String(repeating: "b", count: 100), "\"" + String(repeating: "b", count: 40) + "\""),
        // Control characters never reach a terminal.
        ("ab\u{1B}[2Jc\n", #""ab?[2Jc?""#),
    ]

    @Test(arguments: badImageIDs)
    func imageWithBadID(id: String, quoted: String) throws {
        #expect(imageError(["id": .string(id), "link": "https://i.imgur.com/abcde.jpg"])
            == .malformedResponse("media id \(quoted) is not an Imgur id"))
        // In an album, one bad item does not refuse the others: it is left out, with why.
        let album = try Album(json: ["id": "q6i58", "images": [["id": "Good001"], ["id": .string(id)], ["id": "Good002"]]])
        #expect(album.images.map(\.id.rawValue) == ["Good001", "Good002"])
        #expect(album.refused == [RefusedItem(index: 2, reason: "malformed answer from Imgur: media id \(quoted) is not an Imgur id")])
    }

    @Test func imageWithoutIDOrNotAnObject() {
        #expect(imageError(["link": "https://i.imgur.com/abcde.jpg"]) == .malformedResponse("media item without an id"))
        #expect(imageError(["id": 1234567]) == .malformedResponse("media item without an id"))
        #expect(imageError("AbCdEfG") == .malformedResponse("media item is not an object"))
        #expect(imageError(nil) == .malformedResponse("media item is not an object"))
    }

    @Test func imageMinimal() throws {
        let image = try Image(json: ["id": "AbCdEfG"])
        #expect(image.id.rawValue == "AbCdEfG")
        #expect(image.title == nil)
        #expect(image.description == nil)
        #expect(image.datetime == nil)
        #expect(image.type == nil)
        #expect(!image.animated)
        #expect(image.size == nil)
        #expect(image.link == nil)
        #expect(image.mp4 == nil)
        #expect(image.mp4Size == nil)
    }

    @Test func imageEmptyStringsCountAsAbsent() throws {
        let image = try Image(json: ["id": "AbCdEfG", "type": "", "link": "", "mp4": "", "mp4_size": 0])
        #expect(image.type == nil)
        #expect(image.link == nil)
        #expect(image.mp4 == nil)
        #expect(image.mp4Size == 0)
    }

    @Test func imageAnimatedAsInteger() throws {
        #expect(try Image(json: ["id": "AbCdEfG", "animated": 1]).animated)
        #expect(try !Image(json: ["id": "AbCdEfG", "animated": 0]).animated)
        #expect(try !Image(json: ["id": "AbCdEfG", "animated": nil]).animated)
    }

    static let links: [(String, URL?)] = [
        ("https://i.imgur.com/AbCdEfG.jpg", testURL("https://i.imgur.com/AbCdEfG.jpg")),
        // Plain http off loopback is fetched over https; a scheme in capitals is still the scheme.
        ("http://i.imgur.com/AbCdEfG.jpg", testURL("https://i.imgur.com/AbCdEfG.jpg")),
        ("HTTPS://i.imgur.com/AbCdEfG.jpg?1", testURL("https://i.imgur.com/AbCdEfG.jpg?1")),
        ("HTTP://127.0.0.1:8080/media/AbCdEfG.jpg", testURL("http://127.0.0.1:8080/media/AbCdEfG.jpg")),
        // A password in a media link would be sent as `Authorization: Basic` and kept in the metadata.
        ("https://user:pw@i.imgur.com/AbCdEfG.jpg", nil),
        ("https://user@i.imgur.com/AbCdEfG.jpg", nil),
        ("javascript:alert(1)", nil),
        ("file:///etc/passwd", nil),
        ("ftp://i.imgur.com/AbCdEfG.jpg", nil),
        ("/AbCdEfG.jpg", nil),
        ("AbCdEfG.jpg", nil),
        ("https://", nil),
    ]

    @Test(arguments: links)
    func onlyWebLinksAreKept(link: String, expected: URL?) throws {
        let image = try Image(json: ["id": "AbCdEfG", "link": .string(link), "mp4": .string(link)])
        #expect(image.link == expected)
        #expect(image.mp4 == expected)
    }

    // MARK: replacingImages

    @Test func replacingImagesKeepsEverythingElse() throws {
        let album = try Album(json: ["id": "q6i58", "title": "Trip", "images_count": 3, "images": [["id": "AbCdEfG"]]])
        let items: [JSONValue] = [["id": "AbCdEfG"], ["id": "x1y2z"], ["id": "HiJkLmN", "title": "third"]]
        let full = try album.replacingImages(items)
        #expect(full.id == album.id)
        #expect(full.title == "Trip")
        #expect(full.imagesCount == 3)
        #expect(full.images.map(\.id.rawValue) == ["AbCdEfG", "x1y2z", "HiJkLmN"])
        #expect(full.images.last?.title == "third")
        #expect(full.raw["images"] == .array(items))
        #expect(full.raw["title"] == "Trip")
        #expect(album.images.count == 1)  // the original is unchanged
    }

    @Test func replacingImagesWithABadItemRefusesOnlyThatItem() throws {
        let album = try Album(json: ["id": "q6i58", "images": []])
        let full = try album.replacingImages([["id": "AbCdEfG"], ["id": "a/b"]])
        #expect(full.images.map(\.id.rawValue) == ["AbCdEfG"])
        #expect(full.refused == [RefusedItem(index: 2, reason: #"malformed answer from Imgur: media id "a/b" is not an Imgur id"#)])
    }

    @Test func replacingImagesWithNothing() throws {
        let album = try Album(json: ["id": "q6i58", "images": [["id": "AbCdEfG"]]])
        let empty = try album.replacingImages([])
        #expect(empty.images.isEmpty)
        #expect(empty.raw["images"] == .array([]))
    }
}
