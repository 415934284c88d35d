// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "platetop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "platetop", targets: ["platetop"]),
        .library(name: "PlatetopCore", targets: ["PlatetopCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // C libraries, each behind a tiny module map + shim.
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CNcursesw", pkgConfig: "ncursesw", providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Pure Swift pipeline: images, locating, recognition, tracking, log. BLAS is its only C.
        .target(name: "PlatetopCore", dependencies: ["COpenBLAS", .product(name: "TOMLKit", package: "TOMLKit")]),
        // The only importer of FFmpeg.
        .target(name: "PlatetopVideo", dependencies: ["PlatetopCore", "CFFmpeg"]),
        // Dashboard state -> character grid; no terminal.
        .target(name: "PlatetopDashboard", dependencies: ["PlatetopCore", .product(name: "TOMLKit", package: "TOMLKit")]),
        // The only importer of ncurses.
        .target(name: "PlatetopTerminal", dependencies: ["PlatetopDashboard", "CNcursesw"]),
        .executableTarget(
            name: "platetop",
            dependencies: [
                "PlatetopCore", "PlatetopVideo", "PlatetopDashboard", "PlatetopTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),

        // Builders shared by the test targets (a tiny random model); not part of the product.
        .target(name: "PlatetopTestSupport", dependencies: ["PlatetopCore"], path: "Tests/PlatetopTestSupport"),
        .testTarget(name: "PlatetopCoreTests", dependencies: ["PlatetopCore", "PlatetopTestSupport"]),
        .testTarget(name: "PlatetopVideoTests", dependencies: ["PlatetopVideo", "PlatetopCore"]),
        .testTarget(name: "PlatetopDashboardTests", dependencies: ["PlatetopDashboard", "PlatetopCore"]),
        .testTarget(name: "PlatetopCLITests", dependencies: ["platetop", "PlatetopCore", "PlatetopTestSupport"]),
        .testTarget(name: "PlatetopTerminalTests", dependencies: ["platetop", "PlatetopCore", "PlatetopTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
