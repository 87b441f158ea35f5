import DurableFiles
import ExactJSON
import Foundation
import HTTPCore

/// The validators of a partial download, kept beside it in `.<file>.part.json`, so that the next
/// attempt (or the next run) can ask for the rest with `Range` + `If-Range`.
struct ResumeState: Sendable, Equatable {
    var url: String
    var etag: String?
    var lastModified: String?
    var length: Int64?

    init(url: String, etag: String?, lastModified: String?, length: Int64?) {
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
        self.length = length
    }

    init(url: String, head: HTTPResponseHead) {
        // If-Range needs a strong validator: a weak ETag (W/"…") may not be used.
        let etag = head.headers["etag"].flatMap { $0.hasPrefix("W/") ? nil : $0 }
        self.init(url: url, etag: etag, lastModified: head.headers["last-modified"], length: head.contentLength)
    }

    /// What to send as `If-Range`; a blank value is none (it would be sent as no header at all).
    var validator: String? {
        [etag, lastModified].lazy.compactMap { $0?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
    }

    static func load(_ name: String, in folder: Directory) -> ResumeState? {
        guard let data = try? folder.read(name, limit: 1 << 16), let json = try? JSONValue.parse(data),
            let url = json["url"]?.stringValue
        else { return nil }
        return ResumeState(
            url: url, etag: json["etag"]?.stringValue, lastModified: json["last_modified"]?.stringValue,
            length: json["length"]?.int64Value)
    }

    func save(_ name: String, in folder: Directory) throws(FileError) {
        let json: JSONValue = [
            "url": .string(url), "etag": .optional(etag), "last_modified": .optional(lastModified),
            "length": length.map(JSONValue.int) ?? .null,
        ]
        // Not flushed: it is written on the network thread as a download starts, and losing it in
        // a power cut only means the partial file is fetched again from the start.
        try folder.writeAtomically(json.serialized(), to: name, durable: false)
    }
}

/// Where an attempt starts: from nothing, or after the bytes already in the partial file.
struct ResumePoint: Sendable {
    var offset: Int64
    /// SHA-256 state over the first `offset` bytes: the digest still covers the whole file.
    var hasher: SHA256
    var validator: String?
    /// The whole file's length as the first answer gave it, when it gave one: the total of any
    /// continuation must be the same.
    var length: Int64?
    /// The file's first bytes, for the signature and placeholder checks.
    var firstBytes: [UInt8]

    static let fresh = ResumePoint(offset: 0, hasher: SHA256(), validator: nil, length: nil, firstBytes: [])

    /// Whether a server's total length fits the file this point continues (unknown counts as yes).
    func isSameFile(total: Int64) -> Bool {
        length.map { $0 == total } ?? true
    }
}
