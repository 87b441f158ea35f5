import ArchiveFormat
import DurableFiles
import ExactJSON
import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// What archiving one album did.
struct AlbumReport: Sendable, Equatable {
    let entry: CatalogEntry
    /// Files fetched in this run (not already on disk) and their bytes.
    let fetchedFiles: Int
    let fetchedBytes: Int64
    /// Files that were on disk already (from an earlier, interrupted or partial run).
    var reusedFiles = 0
    /// Media whose size disagreed with the API's on every attempt, and where their bytes were kept.
    var mismatches: [String] = []
}

/// Archives one album or single image: one API call (two for a gallery post with `--comments`),
/// its media in parallel, then its documents.
struct AlbumArchiver: Sendable {
    let client: ImgurClient
    let downloader: MediaDownloader
    let layout: StorageLayout
    let animated: AnimatedFormat
    let scope: ArchiveScope
    /// Keep gallery posts' comments.
    let comments: Bool
    /// Media of one album in flight at once (their transfers share `--jobs` places).
    let mediaWindow: Int
    /// `--refresh`: ask (HEAD) whether each file kept on disk is still served, and record when
    /// Imgur now serves its placeholder instead.
    var probeKeptFiles = false
    /// Told the files and bytes each album brings, for the progress line.
    let events: any RunEvents
    let now: @Sendable () -> Date

    func archive(_ item: WorkItem) async throws -> AlbumReport {
        let (resolved, images, isGalleryPost) = try await resolve(item)
        let id = item.id
        let keepComments = comments && (isGalleryPost || resolved.raw["in_gallery"]?.boolValue == true)
        let commentList = keepComments ? try await fetchComments(id) : nil
        switch resolved {
        case .album(let album):
            return try await store(
                id: id, kind: .album, title: album.title, description: album.description, datetime: album.datetime,
                raw: album.raw, images: images, sourceURL: "https://imgur.com/a/\(id.rawValue)",
                comments: commentList, animated: item.animated ?? animated)
        case .image(let image):
            return try await store(
                id: id, kind: .image, title: image.title, description: image.description, datetime: image.datetime,
                raw: image.raw, images: ImageList([image.raw]), sourceURL: "https://imgur.com/\(id.rawValue)",
                comments: commentList, animated: item.animated ?? animated)
        }
    }

    /// The album or image a work item names, an album's image list (which replaces `raw`'s own
    /// `images`), and whether it is a gallery post. Album answers are read from a spool in the storage
    /// directory: an album of any size costs the same memory (docs/design.md, "One large album").
    private func resolve(_ item: WorkItem) async throws -> (GalleryItem, ImageList, Bool) {
        let spool = layout.directory
        func album() async throws -> (GalleryItem, ImageList, Bool) {
            let (album, images) = try await client.album(item.id, spoolingIn: spool)
            return (.album(album), images, false)
        }
        func image() async throws -> (GalleryItem, ImageList, Bool) {
            (.image(try await client.image(item.id)), ImageList(), false)
        }
        switch item.source {
        case .album:
            return try await album()
        case .image:
            return try await image()
        case .albumOrImage:
            do {
                return try await album()
            } catch ImgurAPIError.notFound {
                do {
                    return try await image()
                } catch ImgurAPIError.notFound(_, let message) {
                    throw ImgurAPIError.notFound(resource: "album or image \(item.id)", message: message)
                }
            }
        case .gallery:
            do {
                let (post, images) = try await client.galleryItem(item.id, spoolingIn: spool)
                return (post, images, true)
            } catch ImgurAPIError.notFound {
                // No longer in the gallery: the post may still exist as an album or an image.
                do {
                    return try await album()
                } catch ImgurAPIError.notFound {
                    do {
                        return try await image()
                    } catch ImgurAPIError.notFound(_, let message) {
                        throw ImgurAPIError.notFound(resource: "gallery post, album or image \(item.id)", message: message)
                    }
                }
            }
        case .recovered:
            // The scheduler commits these without archiving anything.
            throw ArchiveError.resumeMismatch(url: item.id.rawValue, reason: "a recovered folder is not fetched")
        case .listed(let listed):
            let inGallery = listed.raw["in_gallery"]?.boolValue == true
            guard case .album(let album) = listed else { return (listed, ImageList(), inGallery) }
            guard album.images.count < (album.imagesCount ?? Int64.max) else {
                // A listing's album with all its images.
                return (listed, ImageList(album.raw["images"]?.arrayValue ?? []), inGallery)
            }
            // Listings give albums without (all) their images.
            let (full, images) = try await client.album(item.id, spoolingIn: spool)
            return (.album(full), images, inGallery)
        }
    }

    /// A post's comments; nil when Imgur has none for it (404: not a gallery post).
    private func fetchComments(_ id: ImgurID) async throws -> JSONValue? {
        do {
            return try await client.comments(id)
        } catch ImgurAPIError.notFound {
            return nil
        }
    }

    /// Downloads the media of `images` into the folder of `id` (unless `--metadata-only`) and
    /// writes its documents (unless `--media-only`, which still brings documents that already exist
    /// up to date). An album's `raw` has its own `images` replaced by `images`; an image's `raw` is
    /// kept as it is.
    private func store(
        id: ImgurID, kind: AlbumKind, title: String?, description: String?, datetime: Int64?, raw: JSONValue,
        images: ImageList, sourceURL: String, comments: JSONValue?, animated: AnimatedFormat
    ) async throws -> AlbumReport {
        let (folder, previous) = try await BlockingIO.run { [layout] () throws -> (Directory, AlbumMetadata?) in
            // Never through a symlink planted in place of the folder (docs/design.md, "Threat model").
            let folder = try layout.albumFolder(id, create: true)
            // Under the run lock, what a killed run left behind is only litter.
            folder.removeLeftovers()
            AlbumFolder.removeOrphanResumeHints(in: folder)
            let reading = AlbumFolder.read(id, in: folder)
            // Documents that are there but could not be read are not written over as if missing.
            if let failure = reading.readFailure { throw failure }
            // Documents of a newer version are never overwritten as if they were ours.
            for case .newerSchema(let name, let version) in reading.problems {
                throw FormatError.newerSchema(path: folder.path(name), version: version)
            }
            return (folder, reading.metadata)
        }
        let seenAt = now()
        let fetched = try await fetch(
            images, of: id, into: folder, animated: animated, previous: previous, download: scope != .metadataOnly, at: seenAt)
        var metadata = AlbumMetadata(
            kind: kind, id: id, title: title, description: description, published: datetime,
            status: fetched.spool?.status ?? AlbumMetadata.status(of: fetched.records), archivedAt: now(),
            sourceURL: sourceURL, media: fetched.records, api: raw, commentCount: comments.map { $0.arrayValue?.count ?? 0 })
        metadata.spooledMedia = fetched.spool
        if kind == .album, case .object(var members) = raw, members["images"]?.arrayValue != nil {
            if let items = images.itemsInMemory {
                members["images"] = .array(items)
                metadata.api = .object(members)
            } else {
                members["images"] = nil
                metadata.api = .object(members)
                metadata.apiImages = images
            }
        }
        metadata.refused = fetched.refused
        // A refresh: what Imgur changed goes to the history first (a crash then can only record a
        // change twice, never lose an old text), and what it no longer lists stays in the album.
        let listed = metadata
        let writes = scope != .mediaOnly || previous != nil
        metadata = try await BlockingIO.run { [listed, placeholders = fetched.placeholders] in
            var merged = try AlbumFolder.keepingRemoved(previous, in: listed, at: seenAt)
            merged.status = merged.spooledMedia?.status ?? AlbumMetadata.status(of: merged.media)
            guard writes else { return merged }
            if let previous {
                try AlbumFolder.recordChanges(from: previous, to: listed, at: seenAt, then: placeholders, in: folder)
            }
            try AlbumFolder.write(merged, comments: comments, in: folder)
            return merged
        }
        var entry = CatalogEntry(metadata)
        if !writes { entry.status = .mediaOnly }
        var report = AlbumReport(entry: entry, fetchedFiles: fetched.files, fetchedBytes: fetched.bytes)
        report.reusedFiles = fetched.reused
        report.mismatches = fetched.mismatches
        return report
    }
}
