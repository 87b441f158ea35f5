import Foundation
import TestSupport
import Testing

@testable import ArchiveFormat
@testable import Archiver
@testable import DurableFiles
@testable import ExactJSON
@testable import HTTPCore
@testable import ImgurAPI
@testable import ImgurArchiveCLI
@testable import Jobs

/// `imgur-archive html`: albums archived for real against the fake API, then rendered.
@Suite struct ViewerTests {
    static let hostileTitle = "<script>alert(1)</script> \"><img src=x onerror=alert(1)> &amp; it's \"quoted\"\nline two"
    static let hostileDescription = "<b>bold?</b> 'single' & \"double\"\n<script>alert(2)</script>"

    static func firstAlbum() -> FakeAlbum {
        FakeAlbum(
            id: "q6i58", title: "Wallpapers", description: "All of them,\nin order", datetime: 1_500_000_000,
            media: [
                FakeMedia(id: "AAAAAAA", ext: "jpg", size: 3_000, description: "first step\nsecond line"),
                FakeMedia(id: "BBBBBBB", ext: "png", size: 2_000, description: "the second"),
                FakeMedia(id: "CCCCCCC", ext: "mp4", size: 4_000, description: "a video"),
            ])
    }

    static func secondAlbum() -> FakeAlbum {
        FakeAlbum(
            id: "AbCdE", title: hostileTitle, description: hostileDescription,
            media: [FakeMedia(id: "DDDDDDD", ext: "mp4", size: 2_500, description: hostileDescription)])
    }

    /// Two albums archived, ready for `html`.
    static func archived() async throws -> Harness {
        let harness = try Harness()
        harness.imgur.add(firstAlbum())
        harness.imgur.add(secondAlbum())
        let result = await harness.run(["q6i58", "AbCdE"])
        try #require(result.status == .success, "\(result.out)\n\(result.err)")
        return harness
    }

    func text(_ harness: Harness, _ relative: String) throws -> String {
        String(decoding: try #require(harness.data(relative), "\(relative) missing"), as: UTF8.self)
    }

    /// Every `src="…"` value, in order.
    static func sources(_ html: String) -> [String] {
        html.components(separatedBy: "src=\"").dropFirst().compactMap { $0.split(separator: "\"", maxSplits: 1).first.map(String.init) }
    }

    // MARK: Pages

    @Test func writesTheIndexAndOnePagePerAlbum() async throws {
        let harness = try await Self.archived()
        let result = await harness.run(["html"])
        #expect(result.status == .success, "\(result.err)")
        #expect(result.out == "wrote index.html and 2 album pages in \(harness.directory)\n")
        #expect(result.err.isEmpty)

        let index = try text(harness, "index.html")
        #expect(index.hasPrefix("<!DOCTYPE html>"))
        #expect(index.contains("<a href=\"q6i58/index.html\">"))
        #expect(index.contains("<a href=\"AbCdE/index.html\">"))
        #expect(index.contains("<h2>Wallpapers</h2>"))
        #expect(index.contains("<time datetime=\"2017-07-14T02:40:00Z\">2017-07-14</time> · 3 items · 9.0 kB · q6i58"))
        #expect(index.contains("<p class=\"order\">In the order they were archived, the first at the top.</p>"))
        // Covers: the first stored media of each album, an image or a muted video.
        #expect(index.contains("<img class=\"cover\" src=\"q6i58/AAAAAAA.jpg\" alt=\"\" loading=\"lazy\""))
        #expect(index.contains("<video class=\"cover\" src=\"AbCdE/DDDDDDD.mp4\" muted preload=\"metadata\""))
        // Catalog order.
        let first = try #require(index.range(of: "q6i58/index.html"))
        let second = try #require(index.range(of: "AbCdE/index.html"))
        #expect(first.lowerBound < second.lowerBound)
        // The filter box and its script.
        #expect(index.contains("<input id=\"filter\" type=\"search\""))
        #expect(index.components(separatedBy: "<script>").count == 2)
        #expect(index.contains("2 albums"))
        #expect(harness.data("q6i58/index.html") != nil)
        #expect(harness.data("AbCdE/index.html") != nil)
    }

    @Test func anAlbumPageShowsMediaInScriptOrderWithDescriptionsUnder() async throws {
        let harness = try await Self.archived()
        _ = await harness.run(["html"])
        let page = try text(harness, "q6i58/index.html")
        #expect(Self.sources(page) == ["AAAAAAA.jpg", "BBBBBBB.png", "CCCCCCC.mp4"])
        #expect(page.contains("<a class=\"back\" href=\"../index.html\">"))
        #expect(page.contains("<h1>Wallpapers</h1>"))
        #expect(page.contains("<p class=\"desc\">All of them,\nin order</p>"))
        #expect(page.contains("<img src=\"AAAAAAA.jpg\" alt=\"Image 1\" width=\"640\" height=\"480\" loading=\"lazy\""))
        #expect(page.contains("<video src=\"CCCCCCC.mp4\" width=\"640\" height=\"480\" controls preload=\"metadata\""))
        // Each position: its number, its media, then its description, before the next position.
        var rest = Substring(page)
        for (position, file, description) in [
            (1, "AAAAAAA.jpg", "first step\nsecond line"), (2, "BBBBBBB.png", "the second"), (3, "CCCCCCC.mp4", "a video"),
        ] {
            let number = try #require(rest.range(of: "<a href=\"#p\(position)\">\(position)</a>"))
            let media = try #require(rest.range(of: "src=\"\(file)\""))
            let caption = try #require(rest.range(of: "<figcaption>\(description)</figcaption>"))
            #expect(number.upperBound <= media.lowerBound && media.upperBound <= caption.lowerBound)
            rest = rest[caption.upperBound...]
        }
        #expect(!page.contains("<script"))
    }

    @Test func titlesAndDescriptionsAreEscaped() async throws {
        let harness = try await Self.archived()
        _ = await harness.run(["html"])
        let escapedTitle =
            "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp;amp; it&#39;s &quot;quoted&quot;\nline two"
        let escapedDescription = "&lt;b&gt;bold?&lt;/b&gt; &#39;single&#39; &amp; &quot;double&quot;\n&lt;script&gt;alert(2)&lt;/script&gt;"
        let page = try text(harness, "AbCdE/index.html")
        let index = try text(harness, "index.html")
        #expect(page.contains("<h1>\(escapedTitle)</h1>"))
        #expect(page.contains("<title>\(escapedTitle) · Imgur archive</title>"))
        #expect(page.contains("<p class=\"desc\">\(escapedDescription)</p>"))
        #expect(page.contains("<figcaption>\(escapedDescription)</figcaption>"))
        #expect(index.contains("<h2>\(escapedTitle)</h2>"))
        for html in [page, index] {
            #expect(!html.contains("<script>alert"))
            #expect(!html.contains("<img src=x"))
            #expect(!html.contains("<b>bold"))
            #expect(!html.contains(Self.hostileTitle))
            #expect(!html.contains("onerror=alert(1)>"))
        }
    }

    @Test func pagesLoadNothingFromTheNetwork() async throws {
        let harness = try await Self.archived()
        _ = await harness.run(["html"])
        for relative in ["index.html", "q6i58/index.html", "AbCdE/index.html"] {
            let html = try text(harness, relative)
            let sources = Self.sources(html)
            #expect(!sources.isEmpty)
            for source in sources {
                #expect(!source.contains(":"), "\(relative): \(source)")
                #expect(!source.hasPrefix("/"), "\(relative): \(source)")
                #expect(!source.contains(".."), "\(relative): \(source)")
            }
            #expect(!html.contains("src=\"http"))
            #expect(!html.contains("src=\"/"))
            #expect(!html.contains("<link"))
            #expect(!html.contains("url("))
            #expect(!html.contains("@import"))
            #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;;"))
        }
    }

    @Test func theContentSecurityPolicyAllowsExactlyTheInlineBlocks() {
        #expect(ViewerAssets.indexPolicy.contains(ViewerAssets.hashSource(ViewerAssets.indexStyle)))
        #expect(ViewerAssets.indexPolicy.contains(ViewerAssets.hashSource(ViewerAssets.filterScript)))
        #expect(ViewerAssets.albumPolicy.contains("script-src 'none'"))
        // The digest of a known text, in CSP's base64 form.
        #expect(ViewerAssets.hashSource("") == "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='")
        for policy in [ViewerAssets.indexPolicy, ViewerAssets.albumPolicy] {
            #expect(policy.hasPrefix("default-src 'none'; img-src 'self' file:; media-src 'self' file:;"))
            #expect(!policy.contains("http"))
            #expect(!policy.contains("unsafe"))
        }
    }

    @Test func aRemovedMediaKeepsItsSlotAsAPlaceholder() async throws {
        let harness = try Harness()
        harness.imgur.add(Self.firstAlbum())
        harness.imgur.inject("/media/BBBBBBB.png", .redirect(to: "\(harness.imgur.apiBase)/removed.png"))
        let archived = await harness.run(["q6i58"])
        #expect(harness.json("scraping_logs.json")?["q6i58"]?["status"] == "partial", "\(archived.out)\n\(archived.err)")
        let result = await harness.run(["html"])
        #expect(result.status == .success, "\(result.err)")

        let page = try text(harness, "q6i58/index.html")
        #expect(Self.sources(page) == ["AAAAAAA.jpg", "CCCCCCC.mp4"])
        let placeholder = try #require(page.range(of: "<div class=\"gone\" data-status=\"removed\"><b>removed</b>"))
        let first = try #require(page.range(of: "src=\"AAAAAAA.jpg\""))
        let third = try #require(page.range(of: "src=\"CCCCCCC.mp4\""))
        let number = try #require(page.range(of: "<a href=\"#p2\">2</a>"))
        #expect(first.upperBound < number.lowerBound && number.upperBound < placeholder.lowerBound)
        #expect(placeholder.upperBound < third.lowerBound)
        // Its description still shows, under the placeholder.
        #expect(page.contains("(BBBBBBB)</span></div>\n<figcaption>the second</figcaption>"))
        #expect(page.contains("<span class=\"badge\">partial: 1 of 3 not archived</span>"))
        #expect(try text(harness, "index.html").contains("<span class=\"badge\">partial</span>"))
    }

    @Test func aStoredFileThatIsGoneShowsAsNotDownloaded() async throws {
        let harness = try await Self.archived()
        try FileManager.default.removeItem(atPath: harness.path("q6i58/AAAAAAA.jpg"))
        let result = await harness.run(["html"])
        #expect(result.status == .success)
        let page = try text(harness, "q6i58/index.html")
        #expect(page.contains("<div class=\"gone\" data-status=\"not downloaded\">"))
        #expect(Self.sources(page) == ["BBBBBBB.png", "CCCCCCC.mp4"])
        // The cover is then the first media still there.
        #expect(try text(harness, "index.html").contains("src=\"q6i58/BBBBBBB.png\""))
    }

    @Test func anAlbumWithoutMetadataIsReportedAndTheOthersAreWritten() async throws {
        let harness = try await Self.archived()
        try FileManager.default.removeItem(atPath: harness.path("q6i58/metadata_q6i58.json"))
        try harness.write("{\"1\": ", to: "AbCdE/descriptions_AbCdE.json")
        harness.imgur.add(FakeAlbum(id: "ZZZZZZZ", title: "Third", media: [FakeMedia(id: "EEEEEEE")]))
        _ = await harness.run(["ZZZZZZZ"])

        let result = await harness.run(["html"])
        #expect(result.status == .failure)
        // The detail and the summary that counts it on one stream, in catalog order.
        #expect(result.err.isEmpty)
        #expect(result.out == """
            failed           q6i58    page not written: cannot read \(harness.path("q6i58/metadata_q6i58.json")): missing
            failed           AbCdE    page not written: cannot read \(harness.path("AbCdE/descriptions_AbCdE.json")): not valid JSON
            wrote index.html and 1 album page in \(harness.directory); 2 albums skipped (see above)

            """)
        let index = try text(harness, "index.html")
        #expect(index.contains("ZZZZZZZ/index.html"))
        #expect(!index.contains("q6i58/index.html"))
        #expect(!index.contains("AbCdE/index.html"))
        #expect(harness.data("ZZZZZZZ/index.html") != nil)
    }

    @Test func runningTwiceWritesIdenticalBytes() async throws {
        let harness = try await Self.archived()
        _ = await harness.run(["html"])
        let pages = ["index.html", "q6i58/index.html", "AbCdE/index.html"]
        let first = pages.map { harness.data($0) }
        let second = await harness.run(["html", "-q"])
        #expect(second.status == .success)
        #expect(second.out.isEmpty && second.err.isEmpty, "--quiet prints nothing when all is well")
        #expect(pages.map { harness.data($0) } == first)
        // Nothing left behind but the pages.
        #expect(!harness.files().contains { $0.contains(".tmp") })
    }

    @Test func aDirectoryThatIsNotAnArchiveIsRefused() async throws {
        let harness = try Harness()
        let result = await harness.run(["html"])
        #expect(result.status == .configuration)
        #expect(result.err == "error: \(harness.directory) is not an imgur-archive storage directory (it has no "
            + "scraping_logs.json); give the right one with --dir\n")
        #expect(harness.files().isEmpty, "nothing written")
    }

    @Test func anArchiveWithNoAlbumsGetsAnEmptyIndex() async throws {
        let harness = try Harness()
        try harness.write("{\n}\n", to: "scraping_logs.json")
        let result = await harness.run(["html"])
        #expect(result.status == .success)
        #expect(result.out == "wrote index.html and 0 album pages in \(harness.directory)\n")
        #expect(try text(harness, "index.html").contains("No albums archived yet."))
    }

    @Test func anotherRunHoldingTheLockStopsIt() async throws {
        let harness = try Harness()
        try harness.write("{\n}\n", to: "scraping_logs.json")
        let lock = try RunLock.acquire(Directory.open(harness.directory), wait: false)
        let result = await harness.run(["html"])
        withExtendedLifetime(lock) {}
        #expect(result.status == .temporary)
        #expect(result.err.contains("is using \(harness.directory)"))
        #expect(harness.data("index.html") == nil)
    }

    @Test func unavailableAlbumsAreNotListed() async throws {
        let harness = try await Self.archived()
        _ = await harness.run(["Gone123"])  // not on the fake API: catalogued as unavailable
        #expect(harness.json("scraping_logs.json")?["Gone123"]?["status"] == "unavailable")
        let result = await harness.run(["html"])
        #expect(result.status == .success, "\(result.err)")
        #expect(!(try text(harness, "index.html")).contains("Gone123"))
    }

    // MARK: Pieces

    @Test func escapingCoversTheFiveCharactersAndControlCharacters() {
        #expect(HTMLText.escape("a & b < c > d \" e ' f") == "a &amp; b &lt; c &gt; d &quot; e &#39; f")
        #expect(HTMLText.escape("one\r\ntwo\rthree\u{0}\u{1B}[31m") == "one\ntwo\nthree[31m")
        #expect(HTMLText.attribute("a\nb\t\"") == "a&#10;b&#9;&quot;")
        #expect(HTMLText.day("2017-07-14T02:40:00Z") == "2017-07-14")
        #expect(HTMLText.day("<script>") == nil)
    }

    @Test func onlyArchiverShapedFileNamesAreLinked() {
        #expect(MediaFileName.parse("AAAAAAA.jpg")?.type == .jpeg)
        #expect(MediaFileName.parse("AAAAAAA.mp4")?.type == .mp4)
        for name in ["../AAAAAAA.jpg", "/etc/passwd", "AAAAAAA.JPG", "AAA.jpg", "AAAAAAA.jpg.html", "AAAAAAA", "a b.jpg",
            "AAAAAAA.j\"pg", "https://i.imgur.com/AAAAAAA.jpg"]
        {
            #expect(MediaFileName.parse(name) == nil, "\(name)")
        }
    }
}
