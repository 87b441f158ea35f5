import Foundation
import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
@testable import ExactJSON
@testable import ImgurAPI

/// An album's documents as the archiver builds them from the API's answer and its downloads, written
/// and read back through `AlbumFolder`, and the catalog entry a folder recovers.
@Suite struct AlbumDocumentsTests {
    static let archivedAt = Date(timeIntervalSince1970: 1_790_000_000)
    static let seenAt = Date(timeIntervalSince1970: 1_789_999_995)
    static let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    static let albumID = ImgurID("AbCdE12")!

    static let albumText = """
        {"id":"AbCdE12","title":"Holiday","description":"Beach\\nand sun","datetime":1500282000,"images_count":3,
         "views":7050020626740,"privacy":"hidden","nsfw":false,"cover":null,"tags":[{"name":"sea"}],"images":[
          {"id":"Img0001","title":"one","description":"first","datetime":1500282001,"type":"image/jpeg",
           "animated":false,"size":10,"link":"https://i.imgur.com/Img0001.jpg","mp4":""},
          {"id":"Img0002","title":null,"description":null,"type":"image/png","animated":false,"size":503,
           "link":"https://i.imgur.com/Img0002.png"},
          {"id":"Img0003","description":"third","type":"image/gif","animated":true,"link":""}
        ]}
        """

    static func album() throws -> Album {
        try Album(json: try JSONValue.parse(Data(albumText.utf8)))
    }

    static func records(_ album: Album) -> [MediaRecord] {
        [
            MediaRecord(
                position: 1, image: album.images[0],
                outcome: .stored(
                    StoredMedia(
                        fileName: "Img0001.jpg", bytes: 10, sha256: sha, detectedType: "image/jpeg",
                        url: "https://i.imgur.com/Img0001.jpg"))),
            MediaRecord(
                position: 2, image: album.images[1],
                outcome: .unavailable(
                    UnavailableMedia(status: .removed, httpStatus: 302, url: "https://i.imgur.com/Img0002.png", seenAt: seenAt))),
            MediaRecord(
                position: 3, image: album.images[2],
                outcome: .unavailable(UnavailableMedia(status: .noLink, httpStatus: nil, url: nil, seenAt: seenAt))),
        ]
    }

    static func documents() throws -> AlbumMetadata {
        let album = try album()
        let media = records(album)
        return AlbumMetadata(
            kind: .album, id: album.id, title: album.title, description: album.description, published: album.datetime,
            status: AlbumMetadata.status(of: media), archivedAt: archivedAt, sourceURL: "https://imgur.com/a/AbCdE12",
            media: media, api: album.raw)
    }

    final class Folder {
        let path: String

        init() throws {
            path = (NSTemporaryDirectory() as NSString).appendingPathComponent("album-documents-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        var layout: StorageLayout { try! StorageLayout(root: path) }

        func write(_ bytes: Int, to file: String) throws {
            try Data(repeating: 0x61, count: bytes).write(to: URL(fileURLWithPath: file))
        }

        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    // MARK: - The documents

    @Test func theAlbumParses() throws {
        let album = try Self.album()
        #expect(album.id == Self.albumID)
        #expect(album.images.map(\.id.rawValue) == ["Img0001", "Img0002", "Img0003"])
        #expect(album.images[2].link == nil)
        #expect(album.images[2].size == nil)
    }

    @Test func metadata() throws {
        let album = try Self.album()
        let documents = try Self.documents()
        let expected: JSONValue = [
            "schema_version": 1,
            "kind": "album",
            "id": "AbCdE12",
            "title": "Holiday",
            "description": "Beach\nand sun",
            "published": "2017-07-17T09:00:00Z",
            "media_count": 3,
            "status": "partial",
            "archived_at": "2026-09-21T14:13:20Z",
            "source_url": "https://imgur.com/a/AbCdE12",
            "media": [
                [
                    "position": 1, "id": "Img0001", "type": "image/jpeg", "api_size": 10, "status": "ok",
                    "file": "Img0001.jpg", "bytes": 10, "sha256": .string(Self.sha), "detected_type": "image/jpeg",
                    "url": "https://i.imgur.com/Img0001.jpg",
                ],
                [
                    "position": 2, "id": "Img0002", "type": "image/png", "api_size": 503, "status": "removed",
                    "file": nil, "http_status": 302, "url": "https://i.imgur.com/Img0002.png",
                    "seen_at": "2026-09-21T14:13:15Z",
                ],
                [
                    "position": 3, "id": "Img0003", "type": "image/gif", "api_size": nil, "status": "no_link",
                    "file": nil, "http_status": nil, "url": nil, "seen_at": "2026-09-21T14:13:15Z",
                ],
            ],
            "api": album.raw,
        ]
        #expect(documents.json == expected)
        // `api` is the album exactly as the API sent it, every field and 64-bit integer kept.
        #expect(documents.json["api"] == (try JSONValue.parse(Data(Self.albumText.utf8))))
        #expect(documents.json["api"]?["views"] == .int(7_050_020_626_740))
        #expect(documents.json["api"]?["images"]?.arrayValue?.count == 3)
        #expect(documents.json["api"]?["cover"] == .null)
    }

    @Test func scriptAndDescriptions() throws {
        let documents = try Self.documents()
        let script = AlbumFolder.script(of: documents)
        let descriptions = AlbumFolder.descriptions(of: documents)
        #expect(script == ["1": "Img0001", "2": "Img0002", "3": "Img0003"])
        #expect(descriptions == ["Img0001": "first", "Img0002": nil, "Img0003": "third"])
        #expect(
            String(decoding: script.serialized(), as: UTF8.self)
                == "{\n  \"1\": \"Img0001\",\n  \"2\": \"Img0002\",\n  \"3\": \"Img0003\"\n}\n")
        #expect(
            String(decoding: descriptions.serialized(), as: UTF8.self)
                == "{\n  \"Img0001\": \"first\",\n  \"Img0002\": null,\n  \"Img0003\": \"third\"\n}\n")
    }

    @Test func serializationIsByteStable() throws {
        let first = try Self.documents()
        let second = try Self.documents()
        let order = AlbumMetadata.keyOrder
        #expect(first.json.serialized(leadingKeys: order) == second.json.serialized(leadingKeys: order))
        #expect(first.json.serialized() == second.json.serialized())
        #expect(AlbumFolder.script(of: first).serialized() == AlbumFolder.script(of: second).serialized())
        #expect(AlbumFolder.descriptions(of: first).serialized() == AlbumFolder.descriptions(of: second).serialized())

        // As written: the key fields first, in a fixed order, the raw API object last; two-space
        // indentation; nested keys in byte order; a final newline.
        let text = String(decoding: first.json.serialized(leadingKeys: order), as: UTF8.self)
        let topLevel = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { String($0.split(separator: "\"")[1]) }
        #expect(
            topLevel == [
                "schema_version", "kind", "id", "title", "description", "published", "media_count", "status",
                "archived_at", "source_url", "media", "api",
            ])
        #expect(
            text.hasPrefix(
                """
                {
                  "schema_version": 1,
                  "kind": "album",
                  "id": "AbCdE12",
                  "title": "Holiday",
                  "description": "Beach\\nand sun",
                  "published": "2017-07-17T09:00:00Z",
                  "media_count": 3,
                  "status": "partial",
                  "archived_at": "2026-09-21T14:13:20Z",
                  "source_url": "https://imgur.com/a/AbCdE12",
                  "media": [
                    {
                      "api_size": 10,
                      "bytes": 10,
                      "detected_type": "image/jpeg",
                      "file": "Img0001.jpg",
                      "id": "Img0001",
                      "position": 1,
                      "sha256": "\(Self.sha)",
                      "status": "ok",
                      "type": "image/jpeg",
                      "url": "https://i.imgur.com/Img0001.jpg"
                    },

                """))
        #expect(text.contains("\n  \"api\": {\n    \"cover\": null,\n    \"datetime\": 1500282000,\n"))
        #expect(text.hasSuffix("\n    \"title\": \"Holiday\",\n    \"views\": 7050020626740\n  }\n}\n"))

        // Reading it back and writing it again gives the same bytes.
        let reparsed = try JSONValue.parse(Data(text.utf8))
        #expect(reparsed == first.json)
        #expect(reparsed.serialized(leadingKeys: order) == Data(text.utf8))
    }

    @Test func aCompleteAlbumAndTwelvePositionsInOrder() throws {
        var images: [String] = []
        for number in 1...12 {
            images.append(#"{"id":"Pos\#(String(format: "%04d", number))","type":"image/png","size":3,"link":"https://i.imgur.com/x.png"}"#)
        }
        let album = try Album(json: try JSONValue.parse(Data(#"{"id":"Twelve","images":[\#(images.joined(separator: ","))]}"#.utf8)))
        let media = album.images.enumerated().map { index, image in
            MediaRecord(
                position: index + 1, image: image,
                outcome: .stored(
                    StoredMedia(
                        fileName: "\(image.id).png", bytes: 3, sha256: Self.sha, detectedType: nil,
                        url: "https://i.imgur.com/\(image.id).png")))
        }
        let documents = AlbumMetadata(
            kind: .album, id: album.id, title: nil, description: nil, published: nil,
            status: AlbumMetadata.status(of: media), archivedAt: Self.archivedAt, sourceURL: "https://imgur.com/a/Twelve",
            media: media, api: album.raw)
        let metadata = documents.json
        #expect(metadata["status"] == "complete")
        #expect(metadata["title"] == .null)
        #expect(metadata["description"] == .null)
        #expect(metadata["published"] == .null)
        #expect(metadata["media_count"] == 12)
        #expect(metadata["media"]?.arrayValue?[11]["detected_type"] == .null)
        #expect(metadata["media"]?.arrayValue?[11]["position"] == 12)
        let script = String(decoding: AlbumFolder.script(of: documents).serialized(), as: UTF8.self)
        let keys = script.split(separator: "\n").dropFirst().dropLast().map { String($0.split(separator: "\"")[1]) }
        #expect(keys == (1...12).map(String.init))
        #expect(AlbumFolder.descriptions(of: documents).objectValue?.count == 12)
        #expect(AlbumFolder.descriptions(of: documents).objectValue?.values.allSatisfy(\.isNull) == true)
    }

    // MARK: - Writing and reading back

    @Test func writesTheThreeFiles() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        _ = try layout.albumFolder(Self.albumID, create: true)
        let documents = try Self.documents()
        try AlbumFolder.write(documents, comments: nil, in: layout)
        #expect(
            FileManager.default.contents(atPath: layout.metadata(Self.albumID))
                == documents.json.serialized(leadingKeys: AlbumMetadata.keyOrder))
        #expect(
            FileManager.default.contents(atPath: layout.script(Self.albumID))
                == AlbumFolder.script(of: documents).serialized())
        #expect(
            FileManager.default.contents(atPath: layout.descriptions(Self.albumID))
                == AlbumFolder.descriptions(of: documents).serialized())
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: layout.folder(Self.albumID)).sorted() == [
                "descriptions_AbCdE12.json", "metadata_AbCdE12.json", "script_AbCdE12.json",
            ])
    }

    @Test func theFolderReadsBackAsItWasWritten() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        _ = try layout.albumFolder(Self.albumID, create: true)
        let documents = try Self.documents()
        try AlbumFolder.write(documents, comments: nil, in: layout)

        let reading = AlbumFolder.read(Self.albumID, in: layout)
        #expect(reading.problems == [])
        let archived = try #require(reading.metadata)
        #expect(archived == documents)
        #expect(archived.media.map(\.title) == ["one", nil, nil])
        #expect(archived.media.map(\.description) == ["first", nil, "third"])
        #expect(archived.storedFiles.keys.sorted() == ["Img0001.jpg"])
        let file = try #require(archived.storedFiles["Img0001.jpg"])
        #expect(file.bytes == 10)
        #expect(file.sha256 == Self.sha)
        #expect(file.detectedType == "image/jpeg")
        #expect(file.url == "https://i.imgur.com/Img0001.jpg")
    }

    /// An album whose `api.images` is kept on disk (`apiImages`) is written byte for byte as the
    /// same album with its images in `api`, and reads back with its long list on disk, the titles
    /// taken from it, and rewrites to the same bytes (docs/design.md, "One large album").
    @Test func aLongImageListOnDiskWritesAndReadsAsInMemory() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        let directory = try layout.albumFolder(Self.albumID, create: true)
        let count = 2_500
        let items: [JSONValue] = (0..<count).map { index in
            let id = String(format: "I%06d", index)
            var item: [String: JSONValue] = ["id": .string(id), "size": .int(Int64(index)), "type": "image/jpeg"]
            item["title"] = index % 3 == 0 ? .string("t \(index)") : .null
            item["description"] = index % 2 == 0 ? .string("d \(index)\n") : .null
            item["link"] = .string("https://i.imgur.com/\(id).jpg")
            item["views"] = .number(JSONNumber(verbatim: "1e400"))
            return .object(item)
        }
        let media = items.enumerated().map { index, item in
            MediaRecord(
                position: index + 1, image: try! Image(json: item),
                outcome: .unavailable(UnavailableMedia(status: .notDownloaded, httpStatus: nil, url: nil, seenAt: Self.seenAt)))
        }
        var members = try #require(try Self.album().raw.objectValue)
        members["images"] = .array(items)
        let inline = AlbumMetadata(
            kind: .album, id: Self.albumID, title: "Big", description: nil, published: 1_500_282_000, status: .metadataOnly,
            archivedAt: Self.archivedAt, sourceURL: "https://imgur.com/a/AbCdE12", media: media, api: .object(members))
        var spooled = inline
        var list = ImageList(spillingIn: directory, after: 100)
        for item in items { try list.append(item) }
        #expect(list.isSpooled)
        members["images"] = nil
        spooled.api = .object(members)
        spooled.apiImages = list

        let name = StorageLayout.metadataName(Self.albumID)
        try AlbumFolder.write(inline, comments: nil, in: directory)
        let inlineBytes = try directory.read(name)
        let otherBytes = try [StorageLayout.scriptName(Self.albumID), StorageLayout.descriptionsName(Self.albumID)].map { try directory.read($0) }
        try AlbumFolder.write(spooled, comments: nil, in: directory)
        #expect(try directory.read(name) == inlineBytes)
        #expect(try [StorageLayout.scriptName(Self.albumID), StorageLayout.descriptionsName(Self.albumID)].map { try directory.read($0) } == otherBytes)

        let reading = AlbumFolder.read(Self.albumID, in: directory)
        #expect(reading.problems == [])
        let archived = try #require(reading.metadata)
        #expect(archived.apiImages?.isSpooled == true)
        #expect(archived.apiImages?.count == count)
        #expect(archived.api["images"] == nil)
        #expect(archived.media.map(\.id) == media.map(\.id))
        #expect(archived.media[3].title == "t 3")
        #expect(archived.media[4].description == "d 4\n")
        #expect(archived.media[1].title == nil)
        var read: [JSONValue] = []
        try archived.forEachAPIImage { read.append($0) }
        #expect(read == items)
        try AlbumFolder.write(archived, comments: nil, in: directory)
        #expect(try directory.read(name) == inlineBytes)
        // Only the three documents: the list read back is in an unnamed file.
        #expect(directory.names().sorted() == [
            StorageLayout.descriptionsName(Self.albumID), name, StorageLayout.scriptName(Self.albumID),
        ].sorted())
    }

    @Test func aNewerSchemaIsRefusedNeverReused() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        _ = try layout.albumFolder(Self.albumID, create: true)
        var json = try Self.documents().json
        if case .object(var members) = json {
            members["schema_version"] = 2
            json = .object(members)
        }
        try FileSystem.writeAtomically(json.serialized(), to: layout.metadata(Self.albumID))
        let reading = AlbumFolder.read(Self.albumID, in: layout)
        #expect(reading.metadata == nil)
        #expect(reading.problems.contains(.newerSchema("metadata_AbCdE12.json", 2)))
        #expect(
            reading.unreadable(in: layout)
                == .newerSchema(path: layout.metadata(Self.albumID), version: 2))
        #expect(CatalogEntry.recovered(Self.albumID, in: layout) == nil)
    }

    /// The catalog entry is recovered only when every stored file is there at its recorded size.
    @Test(arguments: [nil, 0, 9, 11, 10] as [Int?])
    func catalogEntryNeedsEveryStoredFile(size: Int?) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        _ = try layout.albumFolder(Self.albumID, create: true)
        try AlbumFolder.write(try Self.documents(), comments: nil, in: layout)
        if let size { try folder.write(size, to: layout.media(Self.albumID, "Img0001.jpg")) }
        // A file for a removed item does not matter.
        try folder.write(503, to: layout.media(Self.albumID, "Img0002.png"))

        let entry = CatalogEntry.recovered(Self.albumID, in: layout)
        if size == 10 {
            #expect(
                entry
                    == CatalogEntry(
                        id: Self.albumID, status: .partial, kind: .album, title: "Holiday", published: 1_500_282_000,
                        mediaCount: 3, recordedAt: Self.archivedAt, missing: ["Img0002", "Img0003"]))
        } else {
            #expect(entry == nil)
        }
    }

    @Test func catalogEntryForAnotherIDIsNil() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        _ = try layout.albumFolder(Self.albumID, create: true)
        try AlbumFolder.write(try Self.documents(), comments: nil, in: layout)
        try folder.write(10, to: layout.media(Self.albumID, "Img0001.jpg"))
        let other = ImgurID("Other12")!
        _ = try layout.albumFolder(other, create: true)
        try FileManager.default.copyItem(atPath: layout.metadata(Self.albumID), toPath: layout.metadata(other))
        #expect(CatalogEntry.recovered(other, in: layout) == nil, "its metadata names another album")
        #expect(CatalogEntry.recovered(Self.albumID, in: layout)?.status == .partial)
    }

    @Test func aFolderInPlaceOfAStoredFileDoesNotCount() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        _ = try layout.albumFolder(Self.albumID, create: true)
        try AlbumFolder.write(try Self.documents(), comments: nil, in: layout)
        _ = try layout.albumFolder(Self.albumID).subdirectory("Img0001.jpg", create: true)
        #expect(CatalogEntry.recovered(Self.albumID, in: layout) == nil)
    }

    @Test func aCompleteFolderGivesACompleteEntry() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        let id = ImgurID("q6i58")!
        _ = try layout.albumFolder(id, create: true)
        let metadata: JSONValue = [
            "schema_version": 1, "kind": "album", "id": "q6i58", "title": nil, "status": "complete",
            "media_count": 2, "archived_at": "2026-09-21T14:13:20Z", "api": ["id": "q6i58", "datetime": 1_500_000_000],
            "media": [
                ["position": 1, "id": "Aaaaaaa", "status": "ok", "file": "Aaaaaaa.jpg", "bytes": 4, "sha256": "x"],
                ["position": 2, "id": "Bbbbbbb", "status": "ok", "file": "Bbbbbbb.mp4", "bytes": 0, "sha256": "y"],
            ],
        ]
        try FileSystem.writeAtomically(metadata.serialized(), to: layout.metadata(id))
        try folder.write(4, to: layout.media(id, "Aaaaaaa.jpg"))
        // The empty file is missing: no entry yet.
        #expect(CatalogEntry.recovered(id, in: layout) == nil)
        try folder.write(0, to: layout.media(id, "Bbbbbbb.mp4"))
        #expect(
            CatalogEntry.recovered(id, in: layout)
                == CatalogEntry(
                    id: id, status: .complete, kind: .album, title: nil, published: 1_500_000_000, mediaCount: 2,
                    recordedAt: Self.archivedAt, missing: []))
    }

    struct Unusable: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String?
        var testDescription: String { name }
    }

    @Test(arguments: [
        Unusable(name: "no file", text: nil),
        Unusable(name: "not JSON", text: "{\"schema_version\": 1,"),
        Unusable(name: "no schema_version", text: #"{"id":"q6i58","status":"complete","media":[]}"#),
        Unusable(name: "schema_version not a number", text: #"{"schema_version":"one","id":"q6i58","status":"complete"}"#),
        Unusable(name: "an array", text: "[1]"),
    ])
    func unusableMetadataIsNotRead(unusable: Unusable) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let id = ImgurID("q6i58")!
        _ = try folder.layout.albumFolder(id, create: true)
        if let text = unusable.text { try Data(text.utf8).write(to: URL(fileURLWithPath: folder.layout.metadata(id))) }
        let reading = AlbumFolder.read(id, in: folder.layout)
        #expect(reading.metadata == nil)
        #expect(reading.problems.contains { $0.documentName == "metadata_q6i58.json" })
    }

    @Test(arguments: ["unavailable", "finished", ""])
    func noEntryForAStatusThatIsNotArchived(status: String) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let layout = folder.layout
        let id = ImgurID("q6i58")!
        _ = try layout.albumFolder(id, create: true)
        let metadata: JSONValue = [
            "schema_version": 1, "id": "q6i58", "status": .string(status), "media": [], "archived_at": "2026-09-21T14:13:20Z",
        ]
        try FileSystem.writeAtomically(metadata.serialized(), to: layout.metadata(id))
        #expect(CatalogEntry.recovered(id, in: layout) == nil)
    }
}
