// swift-tools-version:6.1
// Halo: an edge API gateway (REST/JSON -> gRPC) and its backend services. Layout: DESIGN.md §2.
import PackageDescription

/// One settings array for every target (STYLE.md rule 11).
let defaultSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioEmbedded = Target.Dependency.product(name: "NIOEmbedded", package: "swift-nio")
let swiftProtobuf = Target.Dependency.product(name: "SwiftProtobuf", package: "swift-protobuf")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

// MARK: - C libraries from the system (Debian -dev packages; `scripts/setup` installs them)

let systemLibraries: [Target] = [
    .systemLibrary(
        name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
    .systemLibrary(
        name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
        name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
    .systemLibrary(
        name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
]

// MARK: - Libraries

var libraries: [Target] = []

libraries += [
    // The one place libsodium is called: secure memory, Ed25519, Argon2id, hashes, randomness.
    .target(name: "Sodium", dependencies: ["CSodium"], swiftSettings: defaultSwiftSettings),
    // JWT (JWS compact, EdDSA only): signer and RFC 8725 verifier for the auth service and the gateway.
    .target(name: "Tokens", dependencies: ["Sodium"], swiftSettings: defaultSwiftSettings),
]

// MARK: - Executables

var executables: [Target] = []

// MARK: - Tests

var tests: [Target] = []

tests += [
    .testTarget(name: "SodiumTests", dependencies: ["Sodium"], swiftSettings: defaultSwiftSettings),
    .testTarget(name: "TokensTests", dependencies: ["Tokens", "Sodium"], swiftSettings: defaultSwiftSettings),
]

let package = Package(
    name: "halo",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: systemLibraries + libraries + executables + tests
)
