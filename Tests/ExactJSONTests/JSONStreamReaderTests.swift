import Foundation
import Testing

@testable import ExactJSON

/// `JSONStreamReader` gives the same values as a whole parse, whatever the pieces the source
/// hands over, and refuses what the whole parse refuses.
@Suite struct JSONStreamReaderTests {
    /// A reader over `text` handing over at most `piece` bytes per read.
    private func reader(_ text: String, piece: Int, valueLimit: Int = 1 << 20) -> JSONStreamReader {
        let bytes = Array(text.utf8)
        var offset = 0
        return JSONStreamReader(valueLimit: valueLimit) { buffer in
            let count = min(piece, buffer.count, bytes.count - offset)
            guard count > 0 else { return 0 }
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
    }

    /// Walks an envelope the way the album reader does: `data`'s members, its `images` element by element.
    private func walk(_ text: String, piece: Int) throws -> (top: [String: JSONValue], images: [JSONValue]) {
        var reader = self.reader(text, piece: piece)
        var top: [String: JSONValue] = [:]
        var images: [JSONValue] = []
        try reader.enterObject()
        while let key = try reader.nextKey() {
            guard key == "data", try reader.peek() == UInt8(ascii: "{") else {
                top[key] = try reader.value()
                continue
            }
            try reader.enterObject()
            var members: [String: JSONValue] = [:]
            while let member = try reader.nextKey() {
                if member == "images", try reader.peek() == UInt8(ascii: "[") {
                    try reader.enterArray()
                    while try reader.nextElement() { images.append(try reader.value()) }
                } else {
                    members[member] = try reader.value()
                }
            }
            top["data"] = .object(members)
        }
        try reader.finish()
        return (top, images)
    }

    static let album = #"""
        { "success" : true, "data": {"id":"q6i58","title":"a \"quoted\" } ] title","count":18446744073709551616,
          "images" : [ {"id":"AAAAAAA","n":1e400,"t":"\ud83d\ude00 [{"},{"id":"BBBBBBB","list":[1,[2,{"x":null}]]}, 7, "s", true ],
          "cover": null, "pi":3.14159265358979323846264338327950288}, "status":200 }
        """#

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 16])
    func piecesOfAnySizeGiveTheWholeParse(piece: Int) throws {
        let whole = try JSONValue.parse(Data(Self.album.utf8))
        let (top, images) = try walk(Self.album, piece: piece)
        var data = try #require(whole["data"]?.objectValue)
        let expected = try #require(data.removeValue(forKey: "images")?.arrayValue)
        #expect(images == expected)
        #expect(top["data"] == .object(data))
        #expect(top["success"] == .bool(true))
        #expect(top["status"] == .int(200))
        // Numbers keep their text.
        #expect(images[0]["n"].map { String(decoding: $0.serialized(.compact), as: UTF8.self) } == "1e400")
    }

    @Test func emptyContainersAndScalarsAtTheEnd() throws {
        var reader = self.reader(#"{"a":[],"b":{},"c":12}"#, piece: 1)
        try reader.enterObject()
        #expect(try reader.nextKey() == "a")
        try reader.enterArray()
        #expect(try reader.nextElement() == false)
        #expect(try reader.nextKey() == "b")
        #expect(try reader.value() == .object([:]))
        #expect(try reader.nextKey() == "c")
        #expect(try reader.value() == .int(12))
        #expect(try reader.nextKey() == nil)
        try reader.finish()

        var bare = self.reader("  42  ", piece: 1)
        #expect(try bare.value() == .int(42))
        try bare.finish()
    }

    @Test(arguments: [
        (#"{"a":1 "b":2}"#, "expected ',' or '}'"),
        (#"{"a":[1,2}"#, "expected ',' or ']'"),
        (#"{"a":1}x"#, "text after the value"),
        (#"{"a":"unterminated"#, "unexpected end"),
        (#"{"a":{"b":1}"#, "unexpected end"),
        (#"{1:2}"#, "expected a key"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{"a":tru}"#, "unexpected end"),
        (#"{"a":nul,"b":1}"#, "unexpected end"),
        (#"{"a":fals3}"#, "not a value"),
    ])
    func brokenTextIsRefused(text: String, reason: String) throws {
        let failure = #expect(throws: JSONStreamReader.Failure.self) {
            var reader = self.reader(text, piece: 3)
            try reader.enterObject()
            while try reader.nextKey() != nil {
                if try reader.peek() == UInt8(ascii: "[") {
                    try reader.enterArray()
                    while try reader.nextElement() { _ = try reader.value() }
                } else {
                    _ = try reader.value()
                }
            }
            try reader.finish()
        }
        #expect(failure?.reason.hasPrefix(reason) == true, "\(failure.map(String.init(describing:)) ?? "nothing")")
    }

    /// One value larger than the limit is refused without being held: memory is bounded by the
    /// largest value taken, not by the document.
    @Test func aValueOverTheLimitIsRefused() throws {
        let long = String(repeating: "x", count: 5000)
        var reader = self.reader(#"{"short":"ok","long":"\#(long)"}"#, piece: 100, valueLimit: 1000)
        try reader.enterObject()
        #expect(try reader.nextKey() == "short")
        #expect(try reader.value() == .string("ok"))
        #expect(try reader.nextKey() == "long")
        let failure = #expect(throws: JSONStreamReader.Failure.self) { _ = try reader.value() }
        #expect(failure?.reason == "a value longer than 1000 bytes")
    }

    /// Many small values through a small limit: the buffer is reused, not grown.
    @Test func aLongListOfSmallValuesFitsAnySmallLimit() throws {
        let items = (0..<20_000).map { #"{"id":"\#($0)","v":[\#($0)]}"# }.joined(separator: ",")
        var reader = self.reader("[\(items)]", piece: 4096, valueLimit: 256)
        try reader.enterArray()
        var count = 0
        while try reader.nextElement() {
            let value = try reader.value()
            #expect(value["id"] == .string(String(count)))
            count += 1
        }
        try reader.finish()
        #expect(count == 20_000)
    }
}
