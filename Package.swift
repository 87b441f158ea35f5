// swift-tools-version:6.0
import PackageDescription

// The targets depend one way, top to bottom (docs/design.md, "Modules"): a cycle does not build.
let package = Package(
    name: "imgur-archive",
    products: [
        .executable(name: "imgur-archive", targets: ["imgur-archive"]),
        .library(name: "ImgurAPI", targets: ["ImgurAPI"]),
    ],
    // The design card says "packages: none": the toolchain is the whole dependency set.
    dependencies: [],
    targets: [
        // MARK: Foundations

        /// SHA-256 in C (portable, plus SHA-NI where the CPU has it), hashed while media stream in.
        .target(name: "CSHA256"),
        /// JSON values that keep what was sent, a deterministic writer, a syntax checker.
        .target(name: "ExactJSON"),
        /// Files that survive crashes: atomic writes with explicit modes, the append log, the run
        /// lock, streaming SHA-256.
        .target(name: "DurableFiles", dependencies: ["CSHA256", "ExactJSON"]),
        /// libcurl calls interposed to work around FoundationNetworking 6.3.1 defects: a dispatch
        /// source that spins while a connection waits, and bodies decoded that were never asked for
        /// (docs/urlsession-linux.md §10); and to cut its costs over TLS: the CA bundle parsed for every
        /// connection, 16 KB body pieces (docs/performance.md). The executable must export the symbols.
        .target(
            name: "CCurlShim",
            linkerSettings: [
                .unsafeFlags([
                    "-Xlinker", "--export-dynamic-symbol=curl_multi_setopt",
                    "-Xlinker", "--export-dynamic-symbol=curl_easy_setopt",
                    "-Xlinker", "--export-dynamic-symbol=curl_multi_info_read",
                    "-Xlinker", "--export-dynamic-symbol=curl_multi_remove_handle",
                    "-Xlinker", "--export-dynamic-symbol=curl_easy_cleanup",
                    "-Xlinker", "--export-dynamic-symbol=curl_easy_pause",
                ]),
                .linkedLibrary("dl"),
            ]),
        /// HTTP over URLSession: the transport seam, request bodies, retries.
        .target(name: "HTTPCore", dependencies: ["CCurlShim", "DurableFiles"]),

        // MARK: Imgur and the archive

        /// The Imgur API as clients see it: endpoints, answers, errors, ids, auth.
        .target(name: "ImgurAPI", dependencies: ["DurableFiles", "ExactJSON", "HTTPCore"]),
        /// The storage directory as data: album folders, the catalog, the media-type table.
        .target(name: "ArchiveFormat", dependencies: ["DurableFiles", "ExactJSON", "ImgurAPI"]),
        /// What every long run shares: the rate-limit budget, the work window, in-order commits, events.
        .target(name: "Jobs", dependencies: ["HTTPCore", "ImgurAPI"]),
        /// The read side: download, archive, accounts, verify, the offline viewer.
        .target(name: "Archiver", dependencies: ["ArchiveFormat", "DurableFiles", "ExactJSON", "HTTPCore", "ImgurAPI", "Jobs"]),
        /// The write side: upload jobs that never lose or repeat an item, their albums, deletion.
        .target(name: "Uploader", dependencies: ["ArchiveFormat", "DurableFiles", "ExactJSON", "HTTPCore", "ImgurAPI", "Jobs"]),
        /// `serve`: a small HTTP/1.1 server and seed 002's API over the upload jobs.
        .target(name: "LocalAPI", dependencies: ["DurableFiles", "ExactJSON", "Uploader"]),

        // MARK: Command line

        /// Options, commands, the session, output.
        .target(
            name: "ImgurArchiveCLI",
            dependencies: ["Archiver", "ArchiveFormat", "DurableFiles", "ExactJSON", "HTTPCore", "ImgurAPI", "Jobs", "LocalAPI", "Uploader"]),
        .executableTarget(name: "imgur-archive", dependencies: ["HTTPCore", "ImgurArchiveCLI"]),

        // MARK: Tests

        /// A real HTTP/1.1 server on 127.0.0.1:0 that answers like Imgur, and test helpers.
        .target(name: "TestSupport", dependencies: ["DurableFiles", "ExactJSON", "HTTPCore"], path: "Tests/TestSupport"),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
        .testTarget(name: "ExactJSONTests", dependencies: ["ExactJSON"]),
        .testTarget(name: "DurableFilesTests", dependencies: ["CSHA256", "DurableFiles", "ExactJSON", "TestSupport"]),
        .testTarget(name: "HTTPCoreTests", dependencies: ["HTTPCore", "TestSupport"]),
        .testTarget(name: "ImgurAPITests", dependencies: ["ImgurAPI", "ExactJSON", "HTTPCore", "TestSupport"]),
        .testTarget(name: "ArchiveFormatTests", dependencies: ["ArchiveFormat", "DurableFiles", "ExactJSON", "ImgurAPI", "TestSupport"]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "ImgurAPI", "HTTPCore"]),
        .testTarget(
            name: "ArchiverTests",
            dependencies: ["Archiver", "ArchiveFormat", "DurableFiles", "ExactJSON", "HTTPCore", "ImgurAPI", "Jobs", "TestSupport"]),
        .testTarget(
            name: "ImgurArchiveCLITests",
            dependencies: [
                "ImgurArchiveCLI", "Archiver", "ArchiveFormat", "DurableFiles", "ExactJSON", "HTTPCore", "ImgurAPI", "Jobs",
                "LocalAPI", "TestSupport", "Uploader",
            ]),
        .testTarget(
            name: "UploaderTests", dependencies: ["Uploader", "ArchiveFormat", "DurableFiles", "ExactJSON", "ImgurAPI", "TestSupport"]),
        /// The built binary, run as a user runs it: the only tests that need the executable.
        .testTarget(
            name: "BinaryTests",
            dependencies: ["imgur-archive", "ImgurArchiveCLI", "ArchiveFormat", "DurableFiles", "ExactJSON", "TestSupport", "Uploader"]),
    ]
)
