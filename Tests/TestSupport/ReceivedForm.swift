import DurableFiles
import ExactJSON
import Foundation
import Glibc

/// The fields of a form-like request body, whichever way it was sent: `multipart/form-data` (read
/// piece by piece, so a spooled 200 MB body is never loaded), `application/x-www-form-urlencoded`
/// (also what a body without `Content-Type` is taken for), or a JSON object.
///
/// JSON strings, numbers and booleans become fields of their key; a JSON array of strings becomes one
/// `key[]` field per element, the way a form repeats `key[]`: so `{"ids":["a","b"]}` and
/// `ids[]=a&ids[]=b` read the same, while `ids=a,b` stays a single field named `ids`.
struct ReceivedForm {
    /// Text fields in the order sent.
    var fields: [(name: String, value: String)] = []
    /// The first file part named in `fileFields`, hashed and counted as it streamed past.
    var file: ReceivedFile?

    func first(_ name: String) -> String? { fields.first { $0.name == name }?.value }
    func all(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    enum Failure: Error {
        case malformed(String)
        case unreadable
    }

    /// Text fields longer than this are cut (base64 of a 10 MB still is 13.4 MB).
    static let maxFieldBytes = 32 << 20

    /// Reads `request`'s body. A file part named in `fileFields` (one with a `filename`, or a
    /// `Content-Type` other than `text/plain`) is hashed and counted, and its bytes kept: in memory
    /// when the body was in memory, else copied to a new file in `directory`.
    static func read(_ request: ServerRequest, fileFields: Set<String> = [], directory: String) -> Result<ReceivedForm, Failure> {
        let contentType = request.header("Content-Type") ?? "application/x-www-form-urlencoded"
        if let boundary = MultipartScanner.boundary(ofContentType: contentType) {
            return readMultipart(request, boundary: boundary, fileFields: fileFields, directory: directory)
        }
        guard let data = request.bodyData(limit: 64 << 20) else { return .failure(.unreadable) }
        let type = HeaderParameters.parse(contentType).value.lowercased()
        if type == "application/json" || type.hasSuffix("+json") {
            return readJSON(data)
        }
        return .success(ReceivedForm(fields: urlDecodedFields(String(decoding: data, as: UTF8.self))))
    }

    /// `a=1&b=x+y%21` → `[("a","1"), ("b","x y!")]`.
    static func urlDecodedFields(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    private static func readJSON(_ data: Data) -> Result<ReceivedForm, Failure> {
        guard let value = try? JSONValue.parse(data), let members = value.objectValue else {
            return .failure(.malformed("the body is not a JSON object"))
        }
        var form = ReceivedForm()
        for key in members.keys.sorted() {
            guard let member = members[key] else { continue }
            if let items = member.arrayValue {
                for item in items {
                    if let text = scalarText(item) { form.fields.append(("\(key)[]", text)) }
                }
            } else if let text = scalarText(member) {
                form.fields.append((key, text))
            }
        }
        return .success(form)
    }

    private static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number(let number): number.text
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    private static func readMultipart(
        _ request: ServerRequest, boundary: String, fileFields: Set<String>, directory: String
    ) -> Result<ReceivedForm, Failure> {
        let scanner = MultipartScanner(boundary: boundary)
        var form = ReceivedForm()
        var collector = PartCollector(spooled: request.bodyFile != nil, directory: directory)
        var failure: Failure?
        let read = request.readBody { piece in
            guard failure == nil else { return }
            do throws(MultipartScanner.Malformed) {
                try scanner.feed(piece) { event in collector.take(event, fileFields: fileFields, into: &form) }
            } catch {
                failure = .malformed(error.reason)
            }
            if failure == nil, collector.failed { failure = .unreadable }
        }
        collector.close()
        if failure == nil, !read { failure = .unreadable }
        if failure == nil, !scanner.finished { failure = .malformed("no closing delimiter") }
        if let failure {
            if let path = form.file?.path { unlink(path) }
            return .failure(failure)
        }
        return .success(form)
    }
}

/// One file part as received.
struct ReceivedFile {
    var fieldName: String
    var fileName: String?
    var contentType: String?
    var size: Int
    var sha256: String
    /// The bytes, when the body was in memory.
    var data: Data?
    /// A copy of the bytes on disk, when the body was spooled; owned by whoever keeps the upload.
    var path: String?
}

/// Turns scanner events into fields and the kept file.
private struct PartCollector {
    let spooled: Bool
    let directory: String
    private(set) var failed = false
    private var current: MultipartScanner.PartHead?
    private var isKeptFile = false
    private var text: [UInt8] = []
    private var hasher = SHA256()
    private var size = 0
    private var memory = Data()
    private var copy: BodySpool?

    init(spooled: Bool, directory: String) {
        self.spooled = spooled
        self.directory = directory
    }

    mutating func take(_ event: MultipartScanner.Event, fileFields: Set<String>, into form: inout ReceivedForm) {
        switch event {
        case .begin(let head):
            current = head
            let isFile = head.fileName != nil
                || (head.contentType.map { !$0.lowercased().hasPrefix("text/plain") } ?? false)
            isKeptFile = isFile && form.file == nil && fileFields.contains(head.name ?? "")
            text.removeAll(keepingCapacity: true)
            hasher = SHA256()
            size = 0
            memory = Data()
            if isKeptFile, spooled {
                copy = BodySpool(directory: directory, prefix: "upload-")
                if copy == nil { failed = true }
            }
        case .bytes(let bytes):
            if isKeptFile {
                hasher.update(bytes)
                size += bytes.count
                if let copy {
                    if !copy.write(bytes) { failed = true }
                } else {
                    memory.append(contentsOf: bytes)
                }
            } else if text.count < ReceivedForm.maxFieldBytes {
                text.append(contentsOf: bytes.prefix(ReceivedForm.maxFieldBytes - text.count))
            }
        case .end:
            guard let head = current else { return }
            if isKeptFile {
                var path: String?
                if let copy {
                    if copy.finish() { path = copy.path } else { failed = true }
                }
                copy = nil
                form.file = ReceivedFile(
                    fieldName: head.name ?? "", fileName: head.fileName, contentType: head.contentType, size: size,
                    sha256: hasher.hexDigest(), data: path == nil ? memory : nil, path: path)
            } else if head.fileName == nil {
                form.fields.append((head.name ?? "", String(decoding: text, as: UTF8.self)))
            }
            current = nil
            isKeptFile = false
        }
    }

    /// Removes an unfinished copy (the body ended inside the part).
    mutating func close() {
        copy?.remove()
        copy = nil
    }
}
