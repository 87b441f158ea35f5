import Foundation
import HTTPCore

/// An `HTTPTransport` that answers from a closure, for client tests that need no sockets: every
/// request is recorded, and the closure's response is streamed into the sink in one piece.
public final class ClosureTransport: HTTPTransport, Sendable {
    public typealias Answer = @Sendable (HTTPRequest, Int) throws -> HTTPResponse

    private let answer: Answer
    private let log = Locked<[HTTPRequest]>([])

    /// - Parameter answer: given each request and how many came before it.
    public init(_ answer: @escaping Answer) {
        self.answer = answer
    }

    public var requests: [HTTPRequest] { log.current }

    public func stream(_ request: HTTPRequest, into sink: any ResponseSink) async throws -> HTTPResponseHead {
        let index = log.withLock { requests -> Int in
            requests.append(request)
            return requests.count - 1
        }
        let response = try answer(request, index)
        try sink.receive(head: response.head)
        if !response.body.isEmpty { try response.body.withUnsafeBytes { try sink.receive(chunk: $0) } }
        return response.head
    }

    /// A JSON answer to `request` with `headers`.
    public static func json(
        _ text: String, status: Int = 200, headers: [String: String] = [:], for request: HTTPRequest
    ) -> HTTPResponse {
        var all = headers
        all["Content-Type"] = "application/json"
        return HTTPResponse(
            head: HTTPResponseHead(status: status, url: request.url, headers: HTTPHeaders(all)), body: Data(text.utf8))
    }
}
