import Foundation
import ImgurAPI

/// `imgur-archive verify [ID...] [--repair]`: checks the archive offline, album by album, and with
/// `--repair` fetches again what is missing or damaged.
struct VerifyRun {
    let options: VerifyOptions
    let context: RunContext
    let reporter: Reporter

    func run() async -> ExitCode {
        do {
            return try await execute()
        } catch {
            return error.report(to: reporter, console: context.console)
        }
    }

    private func execute() async throws(ArchiveError) -> ExitCode {
        let layout = try StorageLayout.resolve(options.directory, in: context.currentDirectory)
        var requested: [ImgurID] = []
        for text in options.ids {
            guard let id = ImgurID(text) else { throw .usage("not a valid Imgur id (5 to 7 letters or digits): \(text)") }
            requested.append(id)
        }
        // Held while checking (a run writing the archive meanwhile would show half-written albums)
        // and through the repair.
        let lock = try RunLock.acquire(layout.lock, wait: false)
        defer { withExtendedLifetime(lock) {} }
        var checks = await verify(try targets(requested, layout: layout), layout: layout)
        let damaged = checks.filter { !$0.problems.isEmpty }
        if options.repair, damaged.contains(where: { $0.problems.contains(where: \.isRepairable) }) {
            let repaired = try await repair(damaged, layout: layout)
            let recheck = await verify(repaired, layout: layout, quietly: true)
            checks = checks.map { check in recheck.first(where: { $0.id == check.id }) ?? check }
            for check in recheck { report(check, after: "repair") }
        }
        let stillDamaged = checks.filter { !$0.problems.isEmpty }
        let files = checks.reduce(0) { $0 + $1.files }
        let bytes = checks.reduce(Int64(0)) { $0 + $1.bytes }
        let verdict = stillDamaged.isEmpty
            ? "\(checks.count) \(checks.count == 1 ? "album" : "albums") intact"
            : "\(checks.count - stillDamaged.count) intact, \(stillDamaged.count) with problems"
        if reporter.verbosity > .quiet || !stillDamaged.isEmpty {
            reporter.summary(
                "verify: \(verdict); \(files) files, \(Reporter.size(bytes)) checked in \(Reporter.duration(reporter.elapsed))")
        }
        return stillDamaged.isEmpty ? .success : .failure
    }

    /// The albums to check and what the catalog says of each: the ids asked for, else every album
    /// folder of the storage directory and every catalog entry that should have one.
    private func targets(_ requested: [ImgurID], layout: StorageLayout) throws(ArchiveError) -> [Target] {
        var cataloged: [ImgurID: Cataloged] = [:]
        if FileSystem.exists(layout.catalog) {
            try CatalogFile.forEachEntry(layout.catalog) { id, entry in
                cataloged[id] = (entry["status"]?.stringValue.flatMap(CatalogEntry.Status.init(rawValue:)), entry["kind"]?.stringValue)
            }
        }
        if !requested.isEmpty { return requested.map { ($0, cataloged[$0] ?? (nil, nil)) } }
        var ids = Set(FileSystem.contents(of: layout.root).compactMap(ImgurID.init).filter {
            FileSystem.isDirectory(layout.folder($0))
        })
        for (id, entry) in cataloged where entry.status != .unavailable { ids.insert(id) }
        return ids.sorted().map { ($0, cataloged[$0] ?? (nil, nil)) }
    }

    typealias Cataloged = (status: CatalogEntry.Status?, kind: String?)
    typealias Target = (id: ImgurID, cataloged: Cataloged)

    /// Checks albums in parallel (`--jobs` at once), reporting each as it is done.
    private func verify(_ targets: [Target], layout: StorageLayout, quietly: Bool = false) async
        -> [AlbumCheck]
    {
        let verifier = AlbumVerifier(
            layout: layout, onBytes: { reporter.bytesReceived($0) }, onFile: { reporter.fileDone() })
        reporter.expectAlbums(targets.count)
        return await withTaskGroup(of: AlbumCheck.self) { group in
            var results: [AlbumCheck] = []
            var next = 0
            while next < targets.count || !group.isEmpty {
                while next < targets.count && next - results.count < options.jobs {
                    let (id, cataloged) = targets[next]
                    group.addTask { (try? await BlockingIO.run { verifier.check(id, cataloged: cataloged) }) ?? AlbumCheck(id: id) }
                    next += 1
                }
                guard let check = await group.next() else { break }
                results.append(check)
                if !quietly { report(check) }
            }
            return results.sorted { $0.id < $1.id }
        }
    }

    private func report(_ check: AlbumCheck, after action: String? = nil) {
        let prefix = action.map { "after \($0): " } ?? ""
        if check.problems.isEmpty {
            let what = check.mediaOnly ? "media only, no documents to check against yet" : "\(check.files) \(check.files == 1 ? "file" : "files") verified"
            reporter.album(action == nil ? .verified : .repaired, check.id.rawValue, prefix + what)
        } else {
            reporter.album(.damaged, check.id.rawValue, prefix + check.problems.map(\.description).joined(separator: "; "))
        }
    }

    /// Moves damaged files aside (kept: a damaged copy may be all that is left if Imgur removed the
    /// original), then archives the albums again, which fetches what is missing and rewrites the
    /// documents. Albums that keep GIFs as MP4s are fetched with `--animated mp4`, the others with
    /// `gif`, so the same files come back.
    private func repair(_ damaged: [AlbumCheck], layout: StorageLayout) async throws(ArchiveError) -> [Target] {
        let stamp = Int64(context.now().timeIntervalSince1970)
        var inputs: [AnimatedFormat: [String]] = [:]
        for check in damaged where check.problems.contains(where: \.isRepairable) {
            for name in check.problems.compactMap(\.damagedFile) {
                let path = layout.media(check.id, name)
                let aside = "\(path).damaged-\(stamp)"
                try FileSystem.moveIntoPlace(path, aside)
                reporter.note("\(check.id): moved the damaged \(name) aside to \((aside as NSString).lastPathComponent)")
            }
            inputs[check.animated, default: []].append(check.kind == "image" ? "https://imgur.com/\(check.id)" : check.id.rawValue)
        }
        for format in AnimatedFormat.allCases {
            guard let list = inputs[format] else { continue }
            var archiveOptions = ArchiveOptions(directory: options.directory, inputs: list)
            archiveOptions.refresh = true
            archiveOptions.animated = format
            archiveOptions.jobs = options.jobs
            archiveOptions.verbosity = options.verbosity
            let status = await ArchiveRun(options: archiveOptions, context: context, reporter: reporter, lockHeld: true).run()
            if status == .configuration || status == .usage { throw .configuration("repair could not run (status \(status.rawValue))") }
        }
        return damaged.map { ($0.id, (nil, $0.kind)) }
    }
}
