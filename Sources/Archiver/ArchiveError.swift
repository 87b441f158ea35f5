import Foundation
import HTTPCore

/// What goes wrong fetching an album's media that is neither the network's fault (`HTTPError`) nor
/// the disk's (`FileError`): the server's answer is not the media.
public enum ArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server answered a media request with something that is not the media.
    case notMedia(url: String, reason: String)
    /// The server's answer to a resumed request does not continue our partial file.
    case resumeMismatch(url: String, reason: String)
    /// A media request got an HTTP status we cannot use.
    case mediaStatus(url: String, status: Int, retryAfter: TimeInterval?)

    public var description: String {
        switch self {
        case .notMedia(let url, let reason): "\(url) did not return media: \(reason)"
        case .resumeMismatch(let url, let reason): "cannot resume \(url): \(reason)"
        case .mediaStatus(let url, let status, _): "\(url) answered HTTP \(status)"
        }
    }
}

extension ArchiveError: RetryableError {
    public var isTransient: Bool {
        switch self {
        case .resumeMismatch: return true
        case .mediaStatus(_, let status, _): return status == 403 || status == 408 || status == 429 || status >= 500
        case .notMedia: return false
        }
    }

    public var retryAfter: TimeInterval? {
        if case .mediaStatus(_, _, let retryAfter) = self { return retryAfter }
        return nil
    }
}
