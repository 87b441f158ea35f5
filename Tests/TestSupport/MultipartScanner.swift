import Foundation
import Glibc

/// Reads a `multipart/form-data` body (RFC 7578, RFC 2046 §5.1) piece by piece, as it is fed, without
/// ever holding more than one piece and a delimiter's length: a 200 MB file part is seen as a run of
/// byte events between its `begin` and its `end`, to hash and count on the way.
final class MultipartScanner {
    /// What a part's head says.
    struct PartHead {
        /// Every header field of the part, in order.
        var headers: [(name: String, value: String)] = []
        /// `name` of `Content-Disposition: form-data`.
        var name: String?
        /// `filename` of `Content-Disposition`, when the part is a file.
        var fileName: String?
        /// The part's `Content-Type`, when it has one.
        var contentType: String?
    }

    enum Event {
        case begin(PartHead)
        /// The next bytes of the current part; valid only during the call.
        case bytes(UnsafeRawBufferPointer)
        case end
    }

    struct Malformed: Error {
        let reason: String
    }

    private enum State {
        case preamble, afterDelimiter, head, body, epilogue
    }

    private let delimiter: [UInt8]
    private var state = State.preamble
    /// Unprocessed bytes kept from the previous piece: the start of a delimiter, or of what follows one.
    /// It starts as CRLF so that a body opening with `--boundary` matches the full delimiter.
    private var carry: [UInt8] = [0x0D, 0x0A]
    private var head: [UInt8] = []
    private var work: UnsafeMutableRawBufferPointer = .allocate(byteCount: 0, alignment: 16)
    /// True once the closing delimiter (`--boundary--`) has been seen.
    private(set) var finished = false

    private static let maxHeadBytes = 16 * 1024

    /// The boundary from `Content-Type: multipart/form-data; boundary=…`, unquoted.
    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    deinit {
        work.deallocate()
    }

    /// The `boundary` parameter of a `Content-Type` value, or nil when it is not `multipart/form-data`.
    static func boundary(ofContentType value: String) -> String? {
        let parameters = HeaderParameters.parse(value)
        guard parameters.value.lowercased() == "multipart/form-data", let boundary = parameters["boundary"],
              !boundary.isEmpty
        else { return nil }
        return boundary
    }

    /// Scans the next piece of the body, reporting what it finds to `handle`.
    func feed(_ piece: UnsafeRawBufferPointer, _ handle: (Event) -> Void) throws(Malformed) {
        let total = carry.count + piece.count
        if work.count < total {
            work.deallocate()
            work = .allocate(byteCount: max(total, 64 * 1024), alignment: 16)
        }
        guard let base = work.baseAddress else { return }
        carry.withUnsafeBytes { if let source = $0.baseAddress { memcpy(base, source, $0.count) } }
        if let source = piece.baseAddress { memcpy(base + carry.count, source, piece.count) }
        carry.removeAll(keepingCapacity: true)
        try scan(UnsafeRawBufferPointer(start: base, count: total), handle)
    }

    private enum Search {
        case match(Int)
        case partial(Int)
        case none
    }

    private func scan(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) -> Void) throws(Malformed) {
        let count = bytes.count
        var index = 0
        func emit(_ range: Range<Int>) {
            if state == .body, !range.isEmpty { handle(.bytes(UnsafeRawBufferPointer(rebasing: bytes[range]))) }
        }
        func keep(from start: Int) {
            carry.append(contentsOf: bytes[start..<count])
        }
        while index < count {
            switch state {
            case .preamble, .body:
                switch search(bytes, from: index) {
                case .match(let at):
                    emit(index..<at)
                    if state == .body { handle(.end) }
                    index = at + delimiter.count
                    state = .afterDelimiter
                case .partial(let at):
                    emit(index..<at)
                    keep(from: at)
                    return
                case .none:
                    emit(index..<count)
                    return
                }
            case .afterDelimiter:
                guard count - index >= 2 else {
                    keep(from: index)
                    return
                }
                let first = bytes[index]
                let second = bytes[index + 1]
                if first == 0x2D, second == 0x2D {
                    state = .epilogue
                    finished = true
                    return
                } else if first == 0x0D, second == 0x0A {
                    index += 2
                    head = [0x0D, 0x0A]
                    state = .head
                } else if first == 0x20 || first == 0x09 {
                    // Transport padding after the delimiter (RFC 2046 §5.1.1).
                    index += 1
                } else {
                    throw Malformed(reason: "delimiter followed by neither CRLF nor --")
                }
            case .head:
                // The delimiter line's CRLF is already in `head`: a part without header fields ends
                // its head with the very next CRLF.
                while index < count {
                    head.append(bytes[index])
                    index += 1
                    if head.count > Self.maxHeadBytes { throw Malformed(reason: "part head too long") }
                    if head.count >= 4, head.suffix(4).elementsEqual([0x0D, 0x0A, 0x0D, 0x0A]) {
                        handle(.begin(try Self.parseHead(head)))
                        state = .body
                        break
                    }
                }
            case .epilogue:
                return
            }
        }
    }

    private func search(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Search {
        guard let base = bytes.baseAddress else { return .none }
        var from = start
        let length = delimiter.count
        return delimiter.withUnsafeBytes { wanted -> Search in
            guard let wanted = wanted.baseAddress else { return .none }
            while from < bytes.count {
                guard let found = memchr(base + from, 0x0D, bytes.count - from) else { return .none }
                let at = UnsafeRawPointer(found) - base
                let left = bytes.count - at
                if left >= length {
                    if memcmp(base + at, wanted, length) == 0 { return .match(at) }
                } else if memcmp(base + at, wanted, left) == 0 {
                    return .partial(at)
                }
                from = at + 1
            }
            return .none
        }
    }

    private static func parseHead(_ bytes: [UInt8]) throws(Malformed) -> PartHead {
        var head = PartHead()
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw Malformed(reason: "part header without colon") }
            let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            head.headers.append((name, value))
            switch name.lowercased() {
            case "content-disposition":
                let parameters = HeaderParameters.parse(value)
                head.name = parameters["name"]
                head.fileName = parameters["filename"]
            case "content-type":
                head.contentType = value
            default:
                break
            }
        }
        return head
    }
}

/// A header value with `;`-separated parameters, e.g. `form-data; name="image"; filename="a b.jpg"`.
struct HeaderParameters {
    /// What comes before the first `;`, trimmed.
    var value: String
    /// Parameter names lowercased; quoted values unquoted (`\"` → `"`).
    var parameters: [String: String]

    subscript(name: String) -> String? { parameters[name.lowercased()] }

    static func parse(_ text: String) -> HeaderParameters {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted, character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";", !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            parameters[name] = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return HeaderParameters(value: pieces[0].trimmingCharacters(in: .whitespaces), parameters: parameters)
    }
}
