import Foundation
import HTTPCore
import ImgurAPI
import Jobs

/// The album of a `--new-album` job: made once every item is settled, with the completed ones in
/// the job's order (argument order, whatever order they finished in); items completed by a later
/// `--resume` are added at its end. An anonymous album is made and managed by deletehashes.
///
/// Creating is a POST: it is recorded as uncertain before it is sent, and an uncertain album is
/// only made again when a login shows it is absent, or with `--retry-uncertain`.
struct AlbumStep {
    let run: UploadRun

    func finish(_ file: JobFile, outcome: inout UploadRun.Outcome) async throws {
        guard case .new(let title, let id, let deletehash, let uncertain)? = file.current.job.album else { return }
        let items = file.current.items
        // Not while items are still on their way: the album would miss them, out of order.
        guard !items.contains(where: { [.pending, .sending, .uncertain, .processing].contains($0.state) }) else { return }
        let members = items.filter { $0.state == .completed && !$0.inAlbum }
        let byAccount = run.settings.identity == .account && run.client.isLoggedIn
        func handles(_ list: [UploadItem]) -> (deletehashes: [String], ids: [String]) {
            byAccount ? ([], list.compactMap(\.imgurID)) : (list.compactMap(\.deletehash), [])
        }
        if let id {
            guard !members.isEmpty else { return }
            let (deletehashes, ids) = handles(members)
            try await run.client.addToAlbum(deletehash ?? id, deletehashes: deletehashes, ids: ids, identity: run.settings.identity)
            for item in members { try file.update(item.index) { $0.inAlbum = true } }
            run.events.heading("album", id, "\(TextFormat.count(members.count, "more item", "more items")) added")
            return
        }
        guard !members.isEmpty else { return }
        if uncertain && !run.settings.retryUncertain {
            run.events.warning(
                "the album \"\(title)\" may have been made by an earlier run whose answer was lost; "
                    + "'upload --resume \(file.current.job.id) --retry-uncertain' makes it again")
            return
        }
        try file.updateJob { $0.album = .new(title: title, id: nil, deletehash: nil, uncertain: true) }
        let (deletehashes, ids) = handles(members)
        let album: CreatedAlbum
        do {
            let job = file.current.job
            let cover = job.coverItem.flatMap { index in members.first { $0.index == index }?.imgurID }
            album = try await run.client.createAlbum(
                title: title, description: job.description, deletehashes: deletehashes, ids: ids, privacy: job.privacy,
                cover: cover, identity: run.settings.identity)
        } catch let error as any RetryableError where error.provesRequestNotProcessed {
            try file.updateJob { $0.album = .new(title: title, id: nil, deletehash: nil, uncertain: false) }
            run.events.warning("the album \"\(title)\" was not made (\(error)); 'upload --resume \(file.current.job.id)' makes it")
            return
        } catch {
            run.events.warning(
                "the album \"\(title)\" may or may not have been made (\(error)); check, then "
                    + "'upload --resume \(file.current.job.id) --retry-uncertain' makes it again")
            return
        }
        try file.updateJob { $0.album = .new(title: title, id: album.id.rawValue, deletehash: album.deletehash, uncertain: false) }
        for item in members { try file.update(item.index) { $0.inAlbum = true } }
        outcome.albumID = album.id.rawValue
        run.events.heading("album", album.id.rawValue, "https://imgur.com/a/\(album.id.rawValue)  \"\(title)\" (\(TextFormat.count(members.count, "item", "items")))")
    }
}
