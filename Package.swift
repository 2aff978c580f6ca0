// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "gretool",
    products: [
        .executable(name: "gretool", targets: ["gretool"]),
        // For the fuzz targets' package (Tests/Fuzz), which reaches the layers' internals.
        .library(name: "GretoolModules", targets: ["SystemCalls", "Netlink", "GreKit", "GreCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // Layer 1: the C binding (libmnl + rtnetlink uapi headers).
        .systemLibrary(
            name: "CMnl",
            pkgConfig: "libmnl",
            providers: [.apt(["libmnl-dev"])]
        ),
        // Beside it, the system layer: owned descriptors, sockets and their options,
        // socket addresses, control messages, files, one error model (on swift-system).
        .target(
            name: "SystemCalls",
            dependencies: ["CMnl", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // Layer 2: typed netlink (socket, messages, attributes, errors).
        .target(
            name: "Netlink",
            dependencies: ["CMnl", "SystemCalls", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // Layer 3: the domain (links and their kinds, addresses, routes, keepalive, diagnostics).
        .target(name: "GreKit", dependencies: ["Netlink", "SystemCalls"]),
        // Layer 4: the command line (dispatch, iproute2-style output, help and completions).
        .target(
            name: "GreCLI",
            dependencies: ["GreKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "gretool", dependencies: ["GreCLI"]),

        .testTarget(name: "SystemCallsTests", dependencies: ["SystemCalls"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink"]),
        .testTarget(name: "GreKitTests", dependencies: ["GreKit", "KernelHeaderValues"]),
        // Kernel header values glibc's headers hide, for the tests that pin gretool's copies.
        .target(name: "KernelHeaderValues", path: "Tests/KernelHeaderValues"),
        .testTarget(name: "GreCLITests", dependencies: ["GreCLI"]),
    ]
)
