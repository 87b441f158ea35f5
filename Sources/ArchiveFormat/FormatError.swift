import Foundation

/// A file of the storage directory that is not what this version of the tool writes or reads.
public enum FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `scraping_logs.json` (or another append log) is damaged other than at its tail; it is left untouched.
    case invalidLog(path: String, line: Int, reason: String)
    /// A document that is missing, unreadable, not JSON or not in the documented shape.
    case document(path: String, reason: String)
    /// The storage directory is missing or not a directory.
    case storage(path: String, reason: String)
    /// A document written by a newer version of imgur-archive: never read as if it were ours.
    case newerSchema(path: String, version: Int64)

    public var description: String {
        switch self {
        case .invalidLog(let path, let line, let reason):
            "\(path) line \(line): \(reason); the file was left untouched, fix or move it and run again"
        case .document(let path, let reason):
            "cannot read \(path): \(reason)"
        case .storage(let path, let reason):
            "storage directory \(path): \(reason)"
        case .newerSchema(let path, let version):
            "\(path) has schema_version \(version), newer than this imgur-archive knows "
                + "(\(AlbumMetadata.schemaVersion)); use a newer imgur-archive for this archive"
        }
    }
}
