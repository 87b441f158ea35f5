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
    /// More bytes than the file can have (its API size, or the largest file Imgur serves): stopped
    /// and removed.
    case tooLarge(url: String, limit: Int64)
    /// The body is complete by its own length, but not the size the API gives for the file.
    case sizeMismatch(url: String, apiSize: Int64, received: Int64)
    /// The file takes too long or comes too slowly: left for the next run.
    case tooSlow(url: String, reason: String)
    /// `merge`: one album could not be brought over (the others go on).
    case notMerged(String)

    public var description: String {
        switch self {
        case .notMedia(let url, let reason): "\(url) did not return media: \(reason)"
        case .resumeMismatch(let url, let reason): "cannot resume \(url): \(reason)"
        case .mediaStatus(let url, let status, _): "\(url) answered HTTP \(status)"
        case .tooLarge(let url, let limit): "\(url) sent more than \(limit) bytes, more than the file can have; stopped"
        case .sizeMismatch(let url, let apiSize, let received):
            "\(url) sent \(received) bytes, but the API says the file has \(apiSize)"
        case .tooSlow(let url, let reason): "\(url) is too slow (\(reason)); left for the next run"
        case .notMerged(let reason): reason
        }
    }
}

extension ArchiveError: RetryableError {
    public var isTransient: Bool {
        switch self {
        case .resumeMismatch, .sizeMismatch: return true
        case .mediaStatus(_, let status, _): return status == 403 || status == 408 || status == 429 || status >= 500
        // `tooSlow` is not retried here: the scheduler defers the album instead (exit 75).
        case .notMedia, .tooLarge, .tooSlow, .notMerged: return false
        }
    }

    public var retryAfter: TimeInterval? {
        if case .mediaStatus(_, _, let retryAfter) = self { return retryAfter }
        return nil
    }
}
