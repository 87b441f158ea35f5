import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation

/// `sync-log.jsonl` of the storage directory: every operation a sync carried out, one JSON object
/// a line, appended and synced as it happens (docs/restore-and-sync.md, "The sync log"). No
/// deletehash is written to it.
public final class SyncLog: @unchecked Sendable {
    public static let fileName = "sync-log.jsonl"
    private let file: OpenFile
    private let lock = NSLock()
    private let run: String
    private let now: @Sendable () -> Date

    public init(in root: Directory, now: @escaping @Sendable () -> Date) throws {
        file = try root.openForAppending(Self.fileName, mode: 0o600)
        self.now = now
        run = Timestamp.iso8601(now())
    }

    /// One line: `{"time","run","op","folder","path",…}`; a failure to write is reported by the caller.
    public func record(_ op: String, folder: String, path: String? = nil, _ extra: [String: JSONValue] = [:]) throws {
        var members = extra
        members["time"] = .string(Timestamp.iso8601(now()))
        members["run"] = .string(run)
        members["op"] = .string(op)
        members["folder"] = .string(folder)
        if let path { members["path"] = .string(path) }
        var line = JSONValue.object(members).serialized(.compact)
        line.append(0x0A)
        try locked { () throws in
            try file.write(line)
            try file.sync()
        }
    }

    public func close() { locked { try? file.close() } }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
