import ArchiveFormat
import DurableFiles
import Foundation
import ImgurAPI
import Uploader

/// What stops a command before or outside its work, with what the user needs to fix it.
public enum CommandError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bad options or arguments (exit 64).
    case usage(String)
    /// A credentials file exists but cannot be used (exit 78).
    case invalidCredentials(path: String, reason: String)
    /// Another setting is wrong, such as `IMGUR_API_BASE` (exit 78).
    case configuration(String)
    /// A command that reads an archive was pointed at a directory that is not one (exit 78).
    case notAnArchive(path: String)

    public var description: String {
        switch self {
        case .usage(let message):
            return message
        case .invalidCredentials(let path, let reason):
            return "cannot use credentials file \(path): \(reason)"
        case .configuration(let message):
            return message
        case .notAnArchive(let path):
            return "\(path) is not an imgur-archive storage directory (it has no \(StorageLayout.catalogName)); "
                + "give the right one with --dir"
        }
    }
}

/// Where errors become exit statuses (README, "Exit status"; docs/design.md).
enum ExitStatus {
    /// The status an error that stops a command ends it with.
    static func of(_ error: any Error) -> ExitCode {
        switch error {
        case let error as CommandError:
            if case .usage = error { return .usage }
            return .configuration
        case let error as FileError:
            if case .locked = error { return .temporary }
            return .failure
        case let error as FormatError:
            switch error {
            case .invalidLog, .storage, .newerSchema: return .configuration
            case .document: return .failure
            }
        case let error as ImgurAPIError:
            switch error {
            case .invalidClientID, .invalidBaseURL, .invalidRefreshToken: return .configuration
            default: return error.isTransient ? .temporary : .failure
            }
        case let error as UploadError:
            switch error {
            case .noSuchJob: return .usage
            case .damagedJob: return .configuration
            case .notUploadable, .refusedByImgur, .notRestorable: return .failure
            }
        case is CancellationError:
            return .interrupted
        default:
            return .failure
        }
    }
}
