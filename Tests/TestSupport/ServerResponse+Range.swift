import Foundation

extension ServerResponse {
    /// Serves `data` as a static file would: honours `Range: bytes=N-`, `bytes=N-M` and `bytes=-S` (single range)
    /// with 206 and `Content-Range: bytes N-M/total`; answers 416 with `Content-Range: bytes */total` when N >= total;
    /// honours `If-Range` (compared strongly to `etag`; a mismatch, a date, or no `etag` means the full 200);
    /// always sends `Accept-Ranges: bytes`, and `ETag` when given. When `honourRange` is false, ignores `Range`
    /// and always answers 200 with the whole body. Malformed or multi-range `Range` headers are ignored (full 200),
    /// as RFC 9110 allows.
    public static func file(
        _ data: Data,
        contentType: String,
        for request: ServerRequest,
        etag: String? = nil,
        honourRange: Bool = true
    ) -> ServerResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", contentType), ("Accept-Ranges", "bytes")]
        if let etag {
            headers.append(("ETag", etag))
        }
        let full = ServerResponse(status: 200, headers: headers, body: data)
        guard honourRange, request.method == "GET" || request.method == "HEAD",
              let rangeHeader = request.header("Range")
        else {
            return full
        }
        if let ifRange = request.header("If-Range") {
            // If-Range uses strong comparison: weak tags and dates never validate, so the client gets it all.
            guard let etag, !etag.hasPrefix("W/"), ifRange.trimmingCharacters(in: .whitespaces) == etag else {
                return full
            }
        }
        let total = data.count
        switch ByteRange.parse(rangeHeader, total: total) {
        case .ignore:
            return full
        case .unsatisfiable:
            var response = ServerResponse(status: 416, headers: headers, body: Data())
            response.headers.append(("Content-Range", "bytes */\(total)"))
            return response
        case .satisfiable(let first, let last):
            let lower = data.index(data.startIndex, offsetBy: first)
            let upper = data.index(data.startIndex, offsetBy: last + 1)
            var response = ServerResponse(status: 206, headers: headers, body: Data(data[lower..<upper]))
            response.headers.append(("Content-Range", "bytes \(first)-\(last)/\(total)"))
            return response
        }
    }
}

// The outcome of reading one Range header against a representation of known length.
private enum ByteRange: Equatable {
    case ignore
    case unsatisfiable
    case satisfiable(first: Int, last: Int)

    static func parse(_ header: String, total: Int) -> ByteRange {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let equals = trimmed.firstIndex(of: "="),
              trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased() == "bytes"
        else {
            return .ignore
        }
        let spec = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        // A static-file server may ignore multi-range requests and answer 200; that keeps this helper simple.
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            return .ignore
        }
        let firstText = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let lastText = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if firstText.isEmpty {
            // Suffix form "-S": the last S bytes.
            guard let suffix = decimal(lastText) else { return .ignore }
            guard suffix > 0, total > 0 else { return .unsatisfiable }
            return .satisfiable(first: max(0, total - suffix), last: total - 1)
        }
        guard let first = decimal(firstText) else { return .ignore }
        var last = total - 1
        if !lastText.isEmpty {
            guard let requestedLast = decimal(lastText) else { return .ignore }
            // "N-M" with M < N is syntactically invalid, which means "ignore the header", not 416.
            guard requestedLast >= first else { return .ignore }
            last = min(requestedLast, total - 1)
        }
        guard first < total else { return .unsatisfiable }
        return .satisfiable(first: first, last: last)
    }

    // Only plain ASCII digits; Int("+5") would otherwise accept a sign. Digits too large for Int
    // saturate, so an absurd start position is answered with 416 like any other past-the-end start.
    private static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text) ?? Int.max
    }
}
