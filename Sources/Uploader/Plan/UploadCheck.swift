import ArchiveFormat
import DurableFiles
import Foundation

/// Checks a file before it is sent, by its first bytes and its size against the API's limits
/// (docs/imgur-api.md §10): Imgur refuses an over-size body only after all of it has been sent.
public struct UploadCheck: Sendable, Equatable {
    /// Stills through the API: 10 MB (the site allows 20).
    public var imageLimit: Int64 = 10 * 1_000_000
    /// Videos: 200 MB.
    public var videoLimit: Int64 = 200 * 1_000_000

    public init(imageLimit: Int64 = 10 * 1_000_000, videoLimit: Int64 = 200 * 1_000_000) {
        self.imageLimit = imageLimit
        self.videoLimit = videoLimit
    }

    /// The types Imgur takes (its documented list, as the media-type table knows them).
    static let images: [MediaType] = [.jpeg, .png, .gif, .tiff, .webp]
    static let videos: [MediaType] = [.mp4, .webm]

    /// What a file is, or why it must not be sent.
    public func check(_ path: String) -> Result<(type: MediaType, bytes: Int64), UploadError> {
        let shown = (path as NSString).lastPathComponent
        guard let size = FileSystem.fileSize(path) else {
            return .failure(.notUploadable(source: path, reason: "cannot be read"))
        }
        guard size > 0 else { return .failure(.notUploadable(source: path, reason: "is empty")) }
        guard let prefix = Self.firstBytes(of: path) else {
            return .failure(.notUploadable(source: path, reason: "cannot be read"))
        }
        guard let type = MediaType.detected(prefix), Self.images.contains(type) || Self.videos.contains(type) else {
            let names = (Self.images + Self.videos).map(\.name).joined(separator: ", ")
            return .failure(.notUploadable(source: path, reason: "\(shown) is not an image or video Imgur takes (\(names))"))
        }
        let limit = type.isVideo ? videoLimit : imageLimit
        guard size <= limit else {
            let kind = type.isVideo ? "videos" : "images"
            return .failure(.notUploadable(
                source: path,
                reason: "\(shown) is \(Self.megabytes(size)); Imgur takes \(kind) up to \(Self.megabytes(limit)) through its API"))
        }
        return .success((type, size))
    }

    private static func firstBytes(of path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: MediaType.prefixLength)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        return count < 0 ? nil : Array(bytes.prefix(count))
    }

    static func megabytes(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
