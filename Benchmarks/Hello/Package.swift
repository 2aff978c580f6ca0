// swift-tools-version:6.0
// The language's floor for start-up time: a Swift hello-world, built as gretool is
// (release, Swift runtime linked statically). make bench times it beside gretool.
import PackageDescription

let package = Package(name: "hello", targets: [.executableTarget(name: "hello")])
