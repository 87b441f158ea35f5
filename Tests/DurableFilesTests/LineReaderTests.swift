import Foundation
import TestSupport
import Testing

@testable import DurableFiles
@testable import ExactJSON

/// `LineReader`: lines through a fixed 1 MiB buffer that grows only for a longer line.
@Suite struct LineReaderTests {
    static let mebibyte = 1 << 20

    /// One line as the reader reported it, copied out of the buffer.
    struct Seen: Equatable, CustomStringConvertible {
        /// `Data`, not `[UInt8]`: compared with memcmp, which keeps multi-megabyte lines fast in debug builds.
        let bytes: Data
        let offset: Int64
        let terminated: Bool

        var description: String {
            let text = bytes.count > 40 ? "\(bytes.count) bytes" : String(decoding: bytes, as: UTF8.self).debugDescription
            return "(\(text) @\(offset)\(terminated ? "" : " unterminated"))"
        }
    }

    /// A temporary file holding `bytes`; the folder is removed by `remove()`.
    final class Scratch {
        let folder: String
        let path: String

        init(_ bytes: [UInt8]) throws {
            folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("line-reader-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            path = "\(folder)/lines.txt"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// What the reader reports for `bytes`, stopping after `limit` lines when given.
    static func read(_ bytes: [UInt8], stopAfter limit: Int? = nil) throws -> [Seen] {
        let scratch = try Scratch(bytes)
        defer { scratch.remove() }
        var seen: [Seen] = []
        try LineReader(path: scratch.path).forEachLine { line in
            seen.append(Seen(bytes: Data(line.bytes), offset: line.offset, terminated: line.terminated))
            if let limit { return seen.count < limit }
            return true
        }
        return seen
    }

    /// The lines of `bytes` computed the obvious way.
    static func reference(_ bytes: [UInt8]) -> [Seen] {
        let data = Data(bytes)
        var result: [Seen] = []
        var start = 0
        while let newline = data[start...].firstIndex(of: 0x0A) {
            result.append(Seen(bytes: data[start..<newline], offset: Int64(start), terminated: true))
            start = newline + 1
        }
        if start < data.count {
            result.append(Seen(bytes: data[start...], offset: Int64(start), terminated: false))
        }
        return result
    }

    /// Deterministic line lengths (a linear congruential generator), printable content.
    static func lines(totalAtLeast total: Int, maxLength: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total + maxLength + 1)
        var number = 0
        while bytes.count < total {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int((state >> 33) % UInt64(maxLength + 1))
            let fill = UInt8(ascii: "a") + UInt8(number % 26)
            bytes.append(contentsOf: repeatElement(fill, count: length))
            bytes.append(0x0A)
            number += 1
        }
        return bytes
    }

    // MARK: - Small files

    struct Small: Sendable, CustomTestStringConvertible {
        let text: String
        /// (line, offset, terminated)
        let lines: [(String, Int64, Bool)]
        var testDescription: String { text.debugDescription }
    }

    static let small: [Small] = [
        Small(text: "", lines: []),
        Small(text: "a", lines: [("a", 0, false)]),
        Small(text: "a\n", lines: [("a", 0, true)]),
        Small(text: "\n", lines: [("", 0, true)]),
        Small(text: "\n\n", lines: [("", 0, true), ("", 1, true)]),
        Small(text: "one\ntwo\nthree\n", lines: [("one", 0, true), ("two", 4, true), ("three", 8, true)]),
        Small(text: "one\ntwo\nlast", lines: [("one", 0, true), ("two", 4, true), ("last", 8, false)]),
        Small(text: "a\n\nb", lines: [("a", 0, true), ("", 2, true), ("b", 3, false)]),
        Small(text: "crlf\r\nline\r\n", lines: [("crlf\r", 0, true), ("line\r", 6, true)]),
        Small(text: "no\rsplit\ron\rCR", lines: [("no\rsplit\ron\rCR", 0, false)]),
        Small(text: "caf\u{E9}\n\u{1F600}", lines: [("caf\u{E9}", 0, true), ("\u{1F600}", 6, false)]),
    ]

    @Test(arguments: small)
    func readsSmallFiles(file: Small) throws {
        let expected = file.lines.map { Seen(bytes: Data($0.0.utf8), offset: $0.1, terminated: $0.2) }
        #expect(try Self.read(Array(file.text.utf8)) == expected)
    }

    @Test func readsNULAndHighBytesAsTheyAre() throws {
        let bytes: [UInt8] = [0x00, 0xFF, 0x0A, 0xFE, 0x00, 0x0D]
        #expect(
            try Self.read(bytes) == [
                Seen(bytes: Data([0x00, 0xFF]), offset: 0, terminated: true),
                Seen(bytes: Data([0xFE, 0x00, 0x0D]), offset: 3, terminated: false),
            ])
    }

    // MARK: - The buffer boundary

    @Test(arguments: [1, 2])
    func linesAcrossTheBufferBoundary(seed: UInt64) async throws {
        try await onItsOwnThread { () throws in
            // About 2.5 MiB of lines up to 5,000 bytes: two straddle a 1 MiB boundary.
            var bytes = Self.lines(totalAtLeast: 2 * Self.mebibyte + Self.mebibyte / 2, maxLength: 5_000, seed: seed)
            if seed % 2 == 0 { bytes.append(contentsOf: "unterminated tail".utf8) }
            let expected = Self.reference(bytes)
            let seen = try Self.read(bytes)
            #expect(seen.count == expected.count)
            #expect(seen == expected)
            #expect(expected.contains { $0.offset < Int64(Self.mebibyte) && $0.offset + Int64($0.bytes.count) > Int64(Self.mebibyte) })
            #expect(seen.last?.terminated == (seed % 2 == 1))
        }
    }

    /// A newline exactly at the last byte of the buffer, or the first byte of the next fill.
    @Test(arguments: [-2, -1, 0, 1])
    func aNewlineRightAtTheBufferEdge(shift: Int) async throws {
        try await onItsOwnThread { () throws in
            let firstLength = Self.mebibyte - 1 + shift  // its newline at index mebibyte - 1 + shift
            var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: firstLength)
            bytes.append(0x0A)
            bytes.append(contentsOf: "second\nthird".utf8)
            let seen = try Self.read(bytes)
            #expect(
                seen == [
                    Seen(bytes: Data(repeating: UInt8(ascii: "x"), count: firstLength), offset: 0, terminated: true),
                    Seen(bytes: Data("second".utf8), offset: Int64(firstLength + 1), terminated: true),
                    Seen(bytes: Data("third".utf8), offset: Int64(firstLength + 8), terminated: false),
                ])
        }
    }

    @Test(arguments: [1_048_575, 1_048_576, 1_048_577])
    func oneLineOfAboutTheBufferSize(length: Int) async throws {
        try await onItsOwnThread { () throws in
            let body = [UInt8](repeating: UInt8(ascii: "y"), count: length)
            #expect(try Self.read(body) == [Seen(bytes: Data(body), offset: 0, terminated: false)])
            #expect(try Self.read(body + [0x0A]) == [Seen(bytes: Data(body), offset: 0, terminated: true)])
        }
    }

    @Test func aLineOfSeveralMegabytes() async throws {
        try await onItsOwnThread { () throws in
            // 5 MiB and a bit, not all one byte value: the alphabet repeated.
            let alphabet = Data("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
            var long = Data(capacity: 5 * Self.mebibyte + 12_345)
            while long.count < 5 * Self.mebibyte + 12_345 { long.append(alphabet) }
            var bytes = Data("before\n".utf8)
            bytes += long
            bytes += Data("\nafter\n".utf8)
            bytes += long
            let seen = try Self.read([UInt8](bytes))
            #expect(seen.count == 4)
            #expect(seen.first == Seen(bytes: Data("before".utf8), offset: 0, terminated: true))
            #expect(seen.count > 1 && seen[1] == Seen(bytes: long, offset: 7, terminated: true))
            #expect(seen.count > 2 && seen[2] == Seen(bytes: Data("after".utf8), offset: Int64(7 + long.count + 1), terminated: true))
            #expect(seen.count > 3 && seen[3] == Seen(bytes: long, offset: Int64(7 + long.count + 7), terminated: false))
        }
    }

    // MARK: - Early stop, errors

    @Test(arguments: [1, 2, 3])
    func stopsWhenTheBodyReturnsFalse(limit: Int) throws {
        let bytes = Array("one\ntwo\nthree\nfour\n".utf8)
        let seen = try Self.read(bytes, stopAfter: limit)
        #expect(seen == Array(Self.reference(bytes).prefix(limit)))
    }

    @Test func stopsOnAnUnterminatedLastLine() throws {
        #expect(try Self.read(Array("one\nlast".utf8), stopAfter: 2).count == 2)
        #expect(try Self.read(Array("only".utf8), stopAfter: 1) == [Seen(bytes: Data("only".utf8), offset: 0, terminated: false)])
    }

    @Test func stopsInALaterFillOfTheBuffer() async throws {
        try await onItsOwnThread { () throws in
            let bytes = Self.lines(totalAtLeast: 3 * Self.mebibyte, maxLength: 3_000, seed: 9)
            let expected = Self.reference(bytes)
            // The first line that starts after 2.5 MiB.
            let stop = try #require(expected.firstIndex { $0.offset > Int64(5 * Self.mebibyte / 2) })
            let seen = try Self.read(bytes, stopAfter: stop + 1)
            #expect(seen.count == stop + 1)
            #expect(seen == Array(expected.prefix(stop + 1)))
        }
    }

    @Test func anErrorFromTheBodyStopsTheReadAndIsRethrown() throws {
        let scratch = try Scratch(Array("a\nb\nc\n".utf8))
        defer { scratch.remove() }
        var calls = 0
        let failure = FileError.read(path: "x", reason: "stop here")
        #expect(throws: failure) {
            try LineReader(path: scratch.path).forEachLine { (line) throws(FileError) in
                calls += 1
                if calls == 2 { throw failure }
                return true
            }
        }
        #expect(calls == 2)
    }

    @Test func aMissingFileIsAReadError() throws {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("line-reader-missing-\(UUID().uuidString)")
        var calls = 0
        #expect(throws: FileError.read(path: path, reason: "No such file or directory")) {
            try LineReader(path: path).forEachLine { _ in
                calls += 1
                return true
            }
        }
        #expect(calls == 0)
    }
}
