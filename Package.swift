// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "imgur-archive",
    products: [
        .executable(name: "imgur-archive", targets: ["imgur-archive"]),
        .library(name: "ImgurArchive", targets: ["ImgurArchive"]),
        .library(name: "ImgurAPI", targets: ["ImgurAPI"]),
    ],
    // The design card says "packages: none": the toolchain is the whole dependency set.
    dependencies: [],
    targets: [
        // MARK: Libraries

        /// The URLSession-based Imgur API client: transport, models, identifiers.
        .target(name: "ImgurAPI"),
        /// SHA-256 in C (portable, plus SHA-NI where the CPU has it), hashed while media stream in.
        .target(name: "CSHA256"),
        /// The archiver: command line, storage layout, catalog, download engine, output.
        .target(name: "ImgurArchive", dependencies: ["ImgurAPI", "CSHA256"]),

        // MARK: Executable

        .executableTarget(name: "imgur-archive", dependencies: ["ImgurArchive"]),

        // MARK: Tests

        /// A real HTTP/1.1 server on 127.0.0.1:0 that the test suites share.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
        .testTarget(name: "ImgurAPITests", dependencies: ["ImgurAPI", "TestSupport"]),
        .testTarget(
            name: "ImgurArchiveTests",
            dependencies: ["ImgurArchive", "ImgurAPI", "CSHA256", "TestSupport", "imgur-archive"]
        ),
    ]
)
