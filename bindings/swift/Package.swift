// swift-tools-version:5.7
// UNTESTED here: no Swift toolchain on the machine that built this. See README.md.
import PackageDescription

let package = Package(
    name: "Lfm",
    products: [
        .library(name: "Lfm", targets: ["Lfm"]),
    ],
    targets: [
        // Linux (and macOS with a Homebrew/`make install` copy): the installed liblfm, found
        // through pkg-config (`PKG_CONFIG_PATH=<prefix>/lib/pkgconfig`).
        .systemLibrary(
            name: "CLfm",
            path: "Sources/CLfm",
            pkgConfig: "lfm",
            providers: [.apt(["liblfm-dev"]), .brew(["lfm"])]
        ),
        // Apple platforms: replace the system library with the XCFramework built by the
        // recipe in README.md:
        //   .binaryTarget(name: "CLfm", path: "CLfm.xcframework"),
        .target(name: "Lfm", dependencies: ["CLfm"]),
        // Against the mock: `source scripts/mock-env.sh` first (skipped without it).
        .testTarget(name: "LfmTests", dependencies: ["Lfm"]),
    ]
)
