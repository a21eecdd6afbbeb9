// swift-tools-version:6.1
import PackageDescription

// Module split (dependencies point one way):
//   KeelSyntax  — tokens, lexer, parser, AST, diagnostics. Knows nothing of the runtime.
//   KeelRuntime — resolver (AST → executable nodes), values, evaluator, std modules.
//   KeelKit     — the embedding API for Swift hosts (a small facade over KeelRuntime).
//   keel        — the command-line tool.
let package = Package(
    name: "keel-swift",
    products: [
        .executable(name: "keel", targets: ["keel"]),
        .library(name: "KeelKit", targets: ["KeelKit"]),
    ],
    // The stores KeelKit offers, each a trait an embedder can turn off (both on by default): with
    // neither, a host builds no SQLite store and no postgres-nio, swift-nio-ssl or BoringSSL.
    traits: [
        .trait(name: "SQLiteStore", description: "KeelKit's SQLite store for durable agents (storePath: a file)."),
        .trait(name: "PostgreSQLStore", description: "KeelKit's PostgreSQL store that several nodes share (storePath: a postgresql:// URL)."),
        .default(enabledTraits: ["SQLiteStore", "PostgreSQLStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "KeelSyntax", swiftSettings: [.swiftLanguageMode(.v6)]),
        // Linux calls Swift cannot make directly (futex hash size, thread affinity).
        .target(name: "CKeelSystem"),
        .target(
            name: "KeelRuntime",
            dependencies: [
                "KeelSyntax",
                "CKeelSystem",
                .product(name: "Collections", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The SQLite store for durable agents and schedules (GRDB: migrations, one writer).
        .target(
            name: "KeelSQLite",
            dependencies: ["KeelRuntime", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The PostgreSQL store: several nodes share durable agents (leases, fencing, an inbox).
        .target(
            name: "KeelPostgres",
            dependencies: [
                "KeelRuntime",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "KeelKit",
            dependencies: [
                "KeelRuntime",
                "KeelSyntax",
                .target(name: "KeelSQLite", condition: .when(traits: ["SQLiteStore"])),
                .target(name: "KeelPostgres", condition: .when(traits: ["PostgreSQLStore"])),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // What the command line shares with its tests: the run flags, running files and test blocks.
        .target(
            name: "KeelCLI",
            dependencies: [
                "KeelRuntime",
                "KeelSyntax",
                "KeelSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // libedit for the REPL's line editor, history and completion.
        .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .executableTarget(
            name: "keel",
            dependencies: [
                "KeelCLI",
                "KeelRuntime",
                "KeelSQLite",
                "KeelPostgres",
                "CLibEdit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The fuzz targets (fuzz/run builds this with libFuzzer and the address sanitizer).
        .executableTarget(
            name: "keel-fuzz",
            dependencies: ["KeelCLI", "KeelRuntime", "KeelSyntax"],
            path: "Sources/KeelFuzz"
        ),
        // A host program that embeds the interpreter (run in CI; its output is checked).
        .executableTarget(
            name: "embedding-example",
            dependencies: ["KeelKit"],
            path: "examples/embedding",
            exclude: ["thermostat.keel", "expected.txt"]
        ),
        .testTarget(name: "KeelSyntaxTests", dependencies: ["KeelSyntax"]),
        .testTarget(name: "KeelRuntimeTests", dependencies: [
            "KeelRuntime", "KeelCLI", "KeelSyntax", "KeelSQLite", .product(name: "GRDB", package: "GRDB.swift"),
            // Only to check std/crypto's own hashes against.
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "KeelKitTests", dependencies: ["KeelKit"]),
        .testTarget(
            name: "GoldenTests",
            dependencies: ["KeelRuntime", "KeelCLI"],
            resources: []
        ),
    ],
    swiftLanguageModes: [.v5]
)
