// swift-tools-version:6.0
import PackageDescription

// gretool's fuzz targets: one executable, gretool-fuzz, that libFuzzer drives (make fuzz;
// Documentation/Development.md). A package of its own, beside gretool's, because it is
// built only with -sanitize=fuzzer,address and -enable-testing (it reaches the decoders'
// internals through @testable imports): `swift build` and `swift test` of gretool never
// build it.
let package = Package(
    name: "gretool-fuzz",
    dependencies: [.package(name: "gretool", path: "../..")],
    targets: [
        // libFuzzer's entry point, LLVMFuzzerRunDriver: the runtime comes with
        // -sanitize=fuzzer, only its declaration is here.
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(
            name: "gretool-fuzz",
            dependencies: ["CLibFuzzer", .product(name: "GretoolModules", package: "gretool")],
            path: "Sources/GretoolFuzz",
            // libFuzzer brings a main of its own; SwiftPM points main at this module's with
            // --defsym, which lld (unlike gold) lets win.
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),
    ]
)
