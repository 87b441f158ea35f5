import Foundation

/// What stops an upload command, or one item of it, with what the user can do about it.
public enum UploadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `jobs ID`, `upload --resume ID`, `delete ID`: no such job in this storage directory.
    case noSuchJob(String)
    /// A job file that cannot be read safely (left as it is).
    case damagedJob(path: String, reason: String)
    /// A file that would be refused by Imgur, found before sending it.
    case notUploadable(source: String, reason: String)
    /// `400 These actions are forbidden.` with `CDN-Error: yes`: Imgur's edge refuses uploads from
    /// this address or client; retrying does not help (docs/imgur-api.md §12).
    case refusedByImgur(String)
    /// `restore`: the album folder's documents cannot be read, or nothing of it can be put back.
    case notRestorable(album: String, reason: String)

    public var description: String {
        switch self {
        case .noSuchJob(let id):
            return "no upload job \(id) in this storage directory ('imgur-archive jobs' lists them)"
        case .damagedJob(let path, let reason):
            return "cannot read the upload job \(path): \(reason)"
        case .notUploadable(let source, let reason):
            return "\(source): \(reason)"
        case .refusedByImgur(let message):
            return "Imgur refuses uploads from this address or client (\(message); CDN-Error: yes); retrying will not help"
        case .notRestorable(let album, let reason):
            return "cannot restore \(album): \(reason)"
        }
    }
}
