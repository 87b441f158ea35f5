import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import TestSupport

// Requests as the product sends them to the write side, and what the tests read from the answers.

let anonymous = "Client-ID \(FakeImgur.clientID)"

/// One part of a hand-built multipart body.
enum FormPart {
    case field(String, String)
    case file(String, fileName: String, type: String, Data)
}

/// A `multipart/form-data` body in the wire form of RFC 7578, CRLF line ends.
func multipartBody(_ parts: [FormPart], boundary: String) -> Data {
    var body = Data()
    for part in parts {
        switch part {
        case .field(let name, let value):
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        case .file(let name, let fileName, let type, let data):
            body.append(Data(("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(fileName)\"\r\n"
                + "Content-Type: \(type)\r\n\r\n").utf8))
            body.append(data)
            body.append(Data("\r\n".utf8))
        }
    }
    body.append(Data("--\(boundary)--\r\n".utf8))
    return body
}

func request(
    _ fake: FakeImgur, _ method: String, _ path: String, auth: String? = anonymous, contentType: String? = nil, body: Data? = nil
) -> URLRequest {
    var request = URLRequest(url: testURL(fake.apiBase + path))
    request.httpMethod = method
    if let auth { request.setValue(auth, forHTTPHeaderField: "Authorization") }
    if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
    request.httpBody = body
    return request
}

/// Sends `parts` as multipart to `path` (POST /3/image unless told).
func postMultipart(
    _ session: URLSession, _ fake: FakeImgur, _ parts: [FormPart], path: String = "/3/image", auth: String? = anonymous
) async throws -> (Data, HTTPURLResponse) {
    let boundary = "test-boundary-\(UUID().uuidString)"
    return try await fetch(session, request(
        fake, "POST", path, auth: auth, contentType: "multipart/form-data; boundary=\(boundary)",
        body: multipartBody(parts, boundary: boundary)))
}

/// Sends `fields` form-urlencoded.
func postForm(
    _ session: URLSession, _ fake: FakeImgur, _ path: String, _ fields: [(String, String)], method: String = "POST",
    auth: String? = anonymous
) async throws -> (Data, HTTPURLResponse) {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    let text = fields.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
        .joined(separator: "&")
    return try await fetch(session, request(
        fake, method, path, auth: auth, contentType: "application/x-www-form-urlencoded", body: Data(text.utf8)))
}

/// Sends a JSON object.
func postJSON(
    _ session: URLSession, _ fake: FakeImgur, _ path: String, _ object: [String: Any], method: String = "POST",
    auth: String? = anonymous
) async throws -> (Data, HTTPURLResponse) {
    let body = try JSONSerialization.data(withJSONObject: object)
    return try await fetch(session, request(fake, method, path, auth: auth, contentType: "application/json", body: body))
}

func get(_ session: URLSession, _ fake: FakeImgur, _ path: String, auth: String? = anonymous) async throws -> (Data, HTTPURLResponse) {
    try await fetch(session, request(fake, "GET", path, auth: auth))
}

/// The answer as a dictionary (an envelope, or the token answer).
func object(_ data: Data) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
}

/// The envelope's `data` object.
func dataObject(_ data: Data) -> [String: Any] {
    object(data)["data"] as? [String: Any] ?? [:]
}

/// The envelope's `data` list.
func dataList(_ data: Data) -> [[String: Any]] {
    object(data)["data"] as? [[String: Any]] ?? []
}

func matches(_ text: String?, _ pattern: String) -> Bool {
    guard let text else { return false }
    return text.range(of: "^\(pattern)$", options: .regularExpression) != nil
}

/// SHA-256 by coreutils' `sha256sum`, an oracle independent of the fake's own hashing.
func sha256sum(path: String) throws -> String {
    // ChildProcess, not Process: see why in its documentation.
    let child = try ChildProcess("/usr/bin/sha256sum", [path], environment: [:], directory: "/")
    child.waitSynchronously()
    return String(child.stdout.prefix(64))
}

func sha256sum(_ data: Data, in directory: String) throws -> String {
    let path = "\(directory)/hash-\(UUID().uuidString)"
    try data.write(to: URL(fileURLWithPath: path))
    defer { unlink(path) }
    return try sha256sum(path: path)
}

/// A field of /proc/self/status in kB (`VmHWM`, `VmRSS`).
func statusKilobytes(_ field: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("\(field):") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}

/// Sets VmHWM back to the current RSS (Linux ≥ 4.0: `echo 5 > /proc/self/clear_refs`).
func resetPeakRSS() -> Bool {
    let fd = open("/proc/self/clear_refs", O_WRONLY)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return write(fd, "5", 1) == 1
}
