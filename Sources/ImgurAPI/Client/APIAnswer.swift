import DurableFiles
import ExactJSON
import Foundation
import HTTPCore

/// Turns an HTTP answer from the v3 API into its `data`, or into the error it means.
///
/// Status first, then the body: Imgur answers missing albums with HTML pages, overloaded servers
/// with Varnish pages, and errors in three JSON shapes (`data.error` as a string or an object,
/// `data` as a bare string, JSON:API `errors[]`).
enum APIAnswer {
    static func data(of response: HTTPResponse, resource: String, now: Date = Date()) throws(ImgurAPIError)
        -> JSONValue
    {
        let status = response.status
        let json = looksLikeJSON(response.body) ? try? JSONValue.parse(response.body) : nil
        guard (200..<300).contains(status) else {
            throw error(status: status, message: message(in: json) ?? htmlTitle(response.body), response.head,
                        resource: resource, now: now)
        }
        guard let json else {
            let excerpt = snippet(response.body)
            // Imgur's "over capacity" page can come with 200: Imgur overloaded, not a broken answer.
            if mentionsOverCapacity(response.body) {
                throw .overCapacity(status: status, message: excerpt, retryAfter: RetryPolicy.retryAfter(response.head.headers["retry-after"], now: now))
            }
            throw .notJSON(status: status, contentType: response.head.contentType, snippet: excerpt)
        }
        return try unwrapped(json, status: status, response.head, resource: resource, now: now)
    }

    /// The `data` of a JSON answer with a 2xx status, or the error its envelope says.
    private static func unwrapped(
        _ json: JSONValue, status: Int, _ head: HTTPResponseHead, resource: String, now: Date
    ) throws(ImgurAPIError) -> JSONValue {
        guard case .object(let members) = json, let data = members["data"],
            members["success"] != nil || members["status"] != nil
        else {
            return json  // post/v1 answers have no envelope
        }
        if members["success"]?.boolValue == false {
            let inner = members["status"]?.int64Value.map(Int.init) ?? status
            throw error(status: inner == 200 ? 400 : inner, message: message(in: json), head,
                        resource: resource, now: now)
        }
        return data
    }

    /// The most text of a spooled answer held in memory outside its image list.
    static let maxHeldBytes = 32 << 20

    /// The `data` of an answer of any size, and the image list in it (`data.images` of an object,
    /// or the elements of `data` when it is a list) kept aside in an `ImageList`: a large answer is
    /// read from its spool value by value, never whole (docs/design.md, "One large album").
    /// - Returns: `data` with its image list emptied (`"images": []`, or `[]` for a list), and the list.
    static func listedData(
        of response: SpooledResponse, resource: String, spillingIn directory: Directory, now: Date = Date()
    ) throws -> (data: JSONValue, images: ImageList) {
        guard response.spool != nil, (200..<300).contains(response.head.status) else {
            // Small, or an error (whose message is in its first bytes).
            let body = response.spool == nil ? response.body : try response.prefix(64 << 10)
            let data = try data(of: HTTPResponse(head: response.head, body: body), resource: resource, now: now)
            switch data {
            case .array(let items):
                return (.array([]), ImageList(items))
            case .object(var members):
                guard case .array(let items)? = members["images"] else { return (data, ImageList()) }
                members["images"] = .array([])
                return (.object(members), ImageList(items))
            default:
                return (data, ImageList())
            }
        }
        var reader = JSONStreamReader(source: try response.source())
        guard try reader.peek() == UInt8(ascii: "{") else {
            _ = try data(of: HTTPResponse(head: response.head, body: try response.prefix(64 << 10)), resource: resource, now: now)
            throw ImgurAPIError.malformedResponse("\(resource): the answer is not an object")
        }
        var top: [String: JSONValue] = [:]
        var images = ImageList()
        // What is held outside the image list is bounded as a whole answer was (32 MiB of text).
        var heldBytes = 0
        func held(_ value: @autoclosure () throws -> JSONValue) throws -> JSONValue {
            let value = try value()
            heldBytes += reader.lastValueLength
            guard heldBytes <= Self.maxHeldBytes else {
                throw ImgurAPIError.malformedResponse("\(resource): more than 32 MiB of text outside its image list")
            }
            return value
        }
        do {
            try reader.enterObject()
            while let key = try reader.nextKey() {
                guard key == "data" else {
                    top[key] = try held(reader.value())
                    continue
                }
                // The last of repeated members counts, as everywhere (docs/design.md, "Threat model").
                images = ImageList()
                switch try reader.peek() {
                case UInt8(ascii: "[")?:
                    images = try ImageList.reading(&reader, spillingIn: directory)
                    top["data"] = .array([])
                case UInt8(ascii: "{")?:
                    try reader.enterObject()
                    var members: [String: JSONValue] = [:]
                    while let member = try reader.nextKey() {
                        if member == "images", try reader.peek() == UInt8(ascii: "[") {
                            images = try ImageList.reading(&reader, spillingIn: directory)
                            members["images"] = .array([])
                        } else {
                            if member == "images" { images = ImageList() }
                            members[member] = try held(reader.value())
                        }
                    }
                    top["data"] = .object(members)
                default:
                    top["data"] = try held(reader.value())
                }
            }
            try reader.finish()
        } catch let failure as JSONStreamReader.Failure {
            throw ImgurAPIError.notJSON(status: response.head.status, contentType: response.head.contentType, snippet: failure.description)
        }
        let data = try unwrapped(.object(top), status: response.head.status, response.head, resource: resource, now: now)
        return (data, images)
    }

    static func error(
        status: Int, message: String?, _ head: HTTPResponseHead, resource: String, now: Date
    ) -> ImgurAPIError {
        let lowered = message?.lowercased() ?? ""
        let retryAfter = RetryPolicy.retryAfter(head.headers["retry-after"], now: now)
        switch status {
        case 404:
            return .notFound(resource: resource, message: message)
        case 401:
            return .forbidden(status: 401, message: message)
        case 403 where lowered.contains("capacity"), 400..<500 where lowered.contains("over capacity"):
            return .overCapacity(status: status, message: message, retryAfter: retryAfter)
        case 403 where lowered.contains("client_id") || lowered.contains("client id")
            || lowered.contains("clientid") || lowered.contains("malformed auth"):
            return .invalidClientID(message: message)
        case 403 where lowered.contains("access token"):
            return .invalidAccessToken(status: 403, message: message)
        case 403:
            return .forbidden(status: 403, message: message)
        case 400 where head.headers["cdn-error"]?.lowercased() == "yes":
            return .refusedAtEdge(message: message)
        case 400 where lowered.contains("refresh token"):
            return .invalidRefreshToken(message: message)
        case 429:
            let limits = RateLimitStatus(headers: head.headers, now: now)
            let reset = limits?.clientRemaining == 0 ? limits?.clientReset : limits?.userReset
            // "You are uploading too fast. Please wait 59 more minutes.": the wait, when nothing else says it.
            return .rateLimited(message: message, retryAfter: retryAfter, resetAt: reset ?? waitInMessage(lowered, now: now))
        case 500...599:
            return .serverError(status: status, message: message, retryAfter: retryAfter)
        default:
            return .unexpectedStatus(status: status, message: message)
        }
    }

    /// "wait 59 more minutes" (or seconds) in a 429's message, as a time.
    static func waitInMessage(_ lowered: String, now: Date) -> Date? {
        guard let range = lowered.range(of: "wait ") else { return nil }
        let words = lowered[range.upperBound...].split(separator: " ").prefix(3)
        guard let count = words.first.flatMap({ Double($0) }), count >= 0, count < 100_000 else { return nil }
        let unit = words.dropFirst().first { $0.hasPrefix("minute") || $0.hasPrefix("second") || $0.hasPrefix("hour") }
        let seconds = unit?.hasPrefix("hour") == true ? 3600.0 : unit?.hasPrefix("second") == true ? 1.0 : 60.0
        return now.addingTimeInterval(count * seconds)
    }

    /// The human message of any known error shape.
    static func message(in json: JSONValue?) -> String? {
        guard let json else { return nil }
        if let data = json["data"] {
            if let text = data["error"]?.nonEmptyString { return text }
            if let text = data["error"]?["message"]?.nonEmptyString { return text }
            if let text = data.nonEmptyString { return text }
        }
        if let first = json["errors"]?.arrayValue?.first {
            return first["detail"]?.nonEmptyString ?? first["title"]?.nonEmptyString ?? first["status"]?.nonEmptyString
        }
        return json["error"]?.nonEmptyString ?? json["message"]?.nonEmptyString
    }

    private static func looksLikeJSON(_ body: Data) -> Bool {
        guard let first = body.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
            return false
        }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }

    /// Whether a body that is not JSON is Imgur's "over capacity" page (its first 8 KiB).
    private static func mentionsOverCapacity(_ body: Data) -> Bool {
        String(decoding: body.prefix(8192), as: UTF8.self).range(of: "over capacity", options: .caseInsensitive) != nil
    }

    private static func htmlTitle(_ body: Data) -> String? {
        let text = String(decoding: body.prefix(8192), as: UTF8.self)
        guard let open = text.range(of: "<title>", options: .caseInsensitive),
            let close = text.range(of: "</title>", options: .caseInsensitive, range: open.upperBound..<text.endIndex)
        else { return nil }
        let title = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return title.isEmpty ? nil : String(title.prefix(120))
    }

    /// A short printable excerpt of a body that is not JSON.
    static func snippet(_ body: Data) -> String {
        if let title = htmlTitle(body) { return title }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
        let clean = String(words.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        return clean.isEmpty ? "(empty body)" : String(clean.prefix(120))
    }
}
