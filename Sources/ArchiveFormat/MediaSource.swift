import Foundation
import ImgurAPI

/// Which file to fetch for animated media when both a GIF and an MP4 exist.
public enum AnimatedFormat: String, Sendable, CaseIterable {
    /// The GIF as uploaded (the file at `link`), except where `link` is only a thumbnail of it.
    case gif
    /// The MP4 Imgur made, where there is one.
    case mp4
}

/// The file to download for one media item.
public struct MediaSource: Sendable, Equatable {
    public let url: URL
    /// Lowercase, letters and digits only: safe in a file name.
    public let fileExtension: String
    /// Whether the MP4 was chosen instead of `link`.
    public let isMP4Alternative: Bool
}

extension Image {
    /// GIFs over 20 MB: the API's `link` is then only a GIF thumbnail (docs/imgur-api.md §4).
    public static let gifThumbnailThreshold: Int64 = 20_000_000

    /// The URL and extension to archive, or nil when the API gave no usable link.
    public func mediaSource(animated preference: AnimatedFormat) -> MediaSource? {
        let isGIF = type?.lowercased() == "image/gif" || link.map { Self.pathExtension($0) == "gif" } == true
        if let mp4, animated, isGIF {
            let thumbnailOnly = (size ?? 0) > Self.gifThumbnailThreshold || (mp4Size ?? 0) > Self.gifThumbnailThreshold
            if thumbnailOnly || preference == .mp4 {
                return MediaSource(url: mp4, fileExtension: "mp4", isMP4Alternative: true)
            }
        }
        guard let link else {
            return mp4.map { MediaSource(url: $0, fileExtension: "mp4", isMP4Alternative: true) }
        }
        // `.gifv` is an HTML page around the MP4, never a media file.
        if Self.pathExtension(link) == "gifv" {
            let video = mp4 ?? link.deletingPathExtension().appendingPathExtension("mp4")
            return MediaSource(url: video, fileExtension: "mp4", isMP4Alternative: true)
        }
        return MediaSource(url: link, fileExtension: fileExtension(for: link), isMP4Alternative: false)
    }

    /// The extension of the link when the media table knows it (`jpeg` written `jpg`), else the
    /// MIME type's, else `bin`: no archive ever holds a `.php` or `.html` a web server would run.
    private func fileExtension(for url: URL) -> String {
        let fromLink = Self.pathExtension(url)
        if let type = MediaType.forExtension(fromLink), type != .unknown {
            return fromLink == "jpeg" || fromLink == "jfif" ? "jpg" : fromLink
        }
        return (MediaType.forMIME(type) ?? .unknown).fileExtension
    }

    static func pathExtension(_ url: URL) -> String {
        url.pathExtension.lowercased()
    }
}
