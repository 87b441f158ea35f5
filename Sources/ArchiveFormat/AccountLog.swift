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
    private let directory: Directory
    private var accounts: [String: JSONValue]

    /// The log of `layout`; empty when the file is missing or unreadable.
    public static func load(in layout: StorageLayout) -> AccountLog {
        let json = (try? layout.directory.read(StorageLayout.accountsName, limit: 1 << 24)).flatMap { try? JSONValue.parse($0) }
        return AccountLog(directory: layout.directory, accounts: json?.objectValue ?? [:])
    }

    public func isComplete(_ name: String) -> Bool {
        accounts[Self.key(name)]?["complete"] == .bool(true)
    }

    /// Records, durably, whether everything the account listed is archived.
    public mutating func record(_ name: String, complete: Bool, at date: Date) throws(FileError) {
        try record([name], complete: complete, at: date)
    }

    /// Records, durably and in one rewrite of the file, the same for each of `names` (a run that
    /// walked many accounts to the end rewrote the whole file once per account).
    public mutating func record(_ names: [String], complete: Bool, at date: Date) throws(FileError) {
        guard !names.isEmpty else { return }
        for name in names {
            accounts[Self.key(name)] = [
                "name": .string(name), "complete": .bool(complete), "checked_at": .string(Timestamp.iso8601(date)),
            ]
        }
        try directory.writeAtomically(JSONValue.object(accounts).serialized(), to: StorageLayout.accountsName)
    }

    /// Imgur account names are case-insensitive.
    private static func key(_ name: String) -> String { name.lowercased() }
}
