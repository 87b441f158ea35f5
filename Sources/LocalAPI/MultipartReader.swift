import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Splits a `multipart/form-data` body (in memory or in a spooled file) into its fields and its
/// files, each file part copied to a file of its own in 1 MiB pieces: memory stays flat whatever
/// the size.
struct MultipartReader {
    struct Parts: Equatable {
        var fields: [String: String] = [:]
        /// (field name, file name as sent, where it was written), in body order.
        var files: [(name: String, fileName: String, path: String)] = []

        static func == (lhs: Parts, rhs: Parts) -> Bool {
            lhs.fields == rhs.fields && lhs.files.map { [$0.name, $0.fileName, $0.path] } == rhs.files.map { [$0.name, $0.fileName, $0.path] }
        }
    }

    enum Failure: Error, Equatable {
        case malformed(String)
    }

    /// The boundary of a `multipart/form-data; boundary=…` content type.
    static func boundary(of contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return (1...70).contains(value.count) ? value : nil
            }
        }
        return nil
    }

    /// - Parameter folder: where file parts are written (`<n>-<safe name>`).
    static func read(_ source: Source, boundary: String, into folder: String, maxFields: Int = 64) throws -> Parts {
        var input = try Input(source)
        defer { input.close() }
        let delimiter = Array("--\(boundary)".utf8)
        let separator = Array("\r\n--\(boundary)".utf8)
        // The preamble, up to the first delimiter.
        guard try input.skip(past: delimiter) else { throw Failure.malformed("no first boundary") }
        var parts = Parts()
        var number = 0
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            let next = try input.take(2)
            if next == Array("--".utf8) { return parts }
            guard next == Array("\r\n".utf8) else { throw Failure.malformed("a boundary not followed by a line end") }
            guard let headText = try input.readUntil(Array("\r\n\r\n".utf8), limit: 8192), let head = String(bytes: headText, encoding: .utf8) else {
                throw Failure.malformed("a part head over 8 KiB or not UTF-8")
            }
            let disposition = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-disposition:") }.map(String.init) ?? ""
            guard let name = parameter("name", in: disposition) else { throw Failure.malformed("a part without a name") }
            if let fileName = parameter("filename", in: disposition) {
                number += 1
                let safe = String(fileName.unicodeScalars.filter { $0.value > 0x20 && $0 != "/" && $0 != "\\" && $0.value != 0x7F }.prefix(100).map(Character.init))
                let path = "\(folder)/\(number)-\(safe.isEmpty || safe.hasPrefix(".") ? "file\(safe)" : safe)"
                guard try input.copy(until: separator, to: path) else { throw Failure.malformed("a file part without its end") }
                parts.files.append((name, fileName, path))
            } else {
                guard parts.fields.count < maxFields, let value = try input.readUntil(separator, limit: 1 << 20) else {
                    throw Failure.malformed("too many fields, or a field over 1 MiB")
                }
                parts.fields[name] = String(decoding: value, as: UTF8.self)
            }
        }
    }

    /// `name="value"` in a Content-Disposition line.
    static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == key {
                return pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
            }
        }
        return nil
    }

    enum Source {
        case data(Data)
        case file(String)
    }

    /// A buffered reader over the body, from memory or a file.
    struct Input {
        private var fd: Int32 = -1
        private var memory: Data?
        private var buffer: [UInt8] = []
        private var position = 0
        private var atEnd = false

        init(_ source: Source) throws {
            switch source {
            case .data(let data):
                buffer = [UInt8](data)
                atEnd = true
            case .file(let path):
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw Failure.malformed("the spooled body cannot be read") }
            }
        }

        mutating func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }

        /// Makes at least `count` bytes available after `position`, unless the body ends first.
        private mutating func fill(_ count: Int) {
            if position > 1 << 20 {
                buffer.removeFirst(position)
                position = 0
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while buffer.count - position < count, !atEnd {
                let read = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if read < 0, errno == EINTR { continue }
                if read <= 0 {
                    atEnd = true
                } else {
                    buffer.append(contentsOf: chunk[0..<read])
                }
            }
        }

        mutating func take(_ count: Int) throws -> [UInt8] {
            fill(count)
            guard buffer.count - position >= count else { throw Failure.malformed("the body ended early") }
            defer { position += count }
            return Array(buffer[position..<(position + count)])
        }

        /// memchr to each candidate, memcmp to check it.
        private func find(_ marker: [UInt8], from start: Int) -> Int? {
            guard buffer.count - start >= marker.count else { return nil }
            return buffer.withUnsafeBytes { bytes -> Int? in
                marker.withUnsafeBytes { wanted -> Int? in
                    let base = bytes.baseAddress!
                    var index = start
                    let last = bytes.count - marker.count
                    while index <= last {
                        guard let hit = memchr(base + index, Int32(marker[0]), last - index + 1) else { return nil }
                        let offset = base.distance(to: UnsafeRawPointer(hit))
                        if memcmp(base + offset, wanted.baseAddress!, marker.count) == 0 { return offset }
                        index = offset + 1
                    }
                    return nil
                }
            }
        }

        mutating func skip(past marker: [UInt8]) throws -> Bool {
            while true {
                if let found = find(marker, from: position) {
                    position = found + marker.count
                    return true
                }
                if atEnd { return false }
                position = max(position, buffer.count - marker.count + 1)
                fill(buffer.count - position + (1 << 20))
            }
        }

        mutating func readUntil(_ marker: [UInt8], limit: Int) throws -> [UInt8]? {
            while true {
                if let found = find(marker, from: position) {
                    defer { position = found + marker.count }
                    return Array(buffer[position..<found])
                }
                if atEnd || buffer.count - position > limit + marker.count { return nil }
                fill(buffer.count - position + 65_536)
            }
        }

        /// Copies up to `marker` into a new file (0600); false when the marker never comes.
        mutating func copy(until marker: [UInt8], to path: String) throws -> Bool {
            let out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard out >= 0 else { throw Failure.malformed("cannot write \(path)") }
            defer { Glibc.close(out) }
            func write(_ slice: ArraySlice<UInt8>) throws {
                try slice.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let count = Glibc.write(out, bytes.baseAddress! + offset, bytes.count - offset)
                        if count < 0, errno == EINTR { continue }
                        guard count > 0 else { throw Failure.malformed("cannot write \(path)") }
                        offset += count
                    }
                }
            }
            while true {
                if let found = find(marker, from: position) {
                    try write(buffer[position..<found])
                    position = found + marker.count
                    return true
                }
                if atEnd { return false }
                // Everything but a possible start of the marker can go out.
                let safe = buffer.count - marker.count + 1
                if safe > position {
                    try write(buffer[position..<safe])
                    position = safe
                }
                fill(buffer.count - position + (1 << 20))
            }
        }
    }
}
