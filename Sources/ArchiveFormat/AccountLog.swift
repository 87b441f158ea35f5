import DurableFiles
import ExactJSON
import Foundation
import ImgurAPI

/// `accounts.json`: for each account mirrored with `imgur-archive user NAME`, whether everything
/// it listed was archived when it was last walked.
///
/// ```
/// {"someone": {"checked_at": "2026-11-22T22:05:22Z", "complete": true, "name": "someone"}}
/// ```
/// The walk may stop at the first page whose items are all archived only when the account is
/// `complete`: a walk that was deferred or interrupted leaves older pages unarchived behind pages
/// that are, and the next walk must go past them. The file is a hint, small, rewritten whole
/// (atomically); deleting it only costs one full walk per account.
public struct AccountLog {
    public let path: String
    private var accounts: [String: JSONValue]

    /// The log at `path`; empty when the file is missing or unreadable.
    public static func load(_ path: String) -> AccountLog {
        let json = (try? FileSystem.read(path, limit: 1 << 24)).flatMap { try? JSONValue.parse($0) }
        return AccountLog(path: path, accounts: json?.objectValue ?? [:])
    }

    public func isComplete(_ name: String) -> Bool {
        accounts[Self.key(name)]?["complete"] == .bool(true)
    }

    /// Records, durably, whether everything the account listed is archived.
    public mutating func record(_ name: String, complete: Bool, at date: Date) throws(FileError) {
        accounts[Self.key(name)] = [
            "name": .string(name), "complete": .bool(complete), "checked_at": .string(Timestamp.iso8601(date)),
        ]
        try FileSystem.writeAtomically(JSONValue.object(accounts).serialized(), to: path)
    }

    /// Imgur account names are case-insensitive.
    private static func key(_ name: String) -> String { name.lowercased() }
}
