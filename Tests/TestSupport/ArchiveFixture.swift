import ExactJSON
import Foundation

/// A temporary storage directory and a fake Imgur on 127.0.0.1 to archive from; removed with it.
open class ArchiveFixture: @unchecked Sendable {
    // Each test owns its fixture; nothing here is shared between tests.
    public let imgur: FakeImgur
    public let directory: String

    public init() throws {
        imgur = try FakeImgur()
        directory = try makeTemporaryDirectory()
    }

    deinit {
        imgur.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// What the tool needs to talk to the fake Imgur, with HOME inside the directory.
    public var baseEnvironment: [String: String] {
        ["IMGUR_CLIENT_ID": FakeImgur.clientID, "IMGUR_API_BASE": imgur.apiBase, "HOME": directory]
    }

    public func path(_ relative: String) -> String { "\(directory)/\(relative)" }

    public func data(_ relative: String) -> Data? { FileManager.default.contents(atPath: path(relative)) }

    public func json(_ relative: String) -> JSONValue? { data(relative).flatMap { try? JSONValue.parse($0) } }

    public func write(_ text: String, to relative: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path(relative)))
    }

    /// Every file under the storage directory, relative paths, sorted.
    public func files() -> [String] { filesBelow(directory) }
}
