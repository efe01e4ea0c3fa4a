// swift-tools-version: 6.0
import PackageDescription

// Dependencies point one way: clerical → ClericalTUI, ClericalPostgres → ClericalStore → ClericalCore.
// See ARCHITECTURE.md.
let package = Package(
    name: "clerical",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "clerical", targets: ["clerical"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "ClericalCore"),
        .target(
            name: "ClericalStore",
            dependencies: [
                "ClericalCore", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // zlib, so that input files may be gzip-compressed as Splink's outputs often are.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // A queue in a PostgreSQL schema: the same tables, claims and chain as the SQLite file.
        .target(
            name: "ClericalPostgres",
            dependencies: [
                "ClericalCore", "ClericalStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libncursesw, plus a C shim for what Swift cannot import (macros, signal flags).
        .systemLibrary(
            name: "CNcursesw",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        .target(
            name: "ClericalTUI",
            dependencies: ["ClericalCore", "ClericalStore", "CNcursesw", "TOMLKit"],
            resources: [.copy("Themes")]
        ),
        .executableTarget(
            name: "clerical",
            dependencies: [
                "ClericalCore", "ClericalStore", "ClericalPostgres", "ClericalTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Writes synthetic Splink 5 output: the bundled sample queue and benchmark inputs.
        .executableTarget(
            name: "clerical-samplegen",
            dependencies: ["ClericalCore"],
            path: "SampleQueues/Generator"
        ),
        // Benchmarks/: measurements, not tests (see Benchmarks/README.md).
        .executableTarget(
            name: "clerical-review-bench",
            dependencies: ["ClericalCore", "ClericalStore", "ClericalTUI", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/ReviewLatency"
        ),
        .executableTarget(
            name: "clerical-estimation-bench",
            dependencies: ["ClericalCore", "ClericalStore"],
            path: "Benchmarks/Estimation"
        ),
        // One reviewer process working a shared queue: the concurrency test and benchmark.
        .executableTarget(
            name: "clerical-load",
            dependencies: ["ClericalCore", "ClericalStore", "ClericalPostgres"],
            path: "Benchmarks/Load"
        ),
        // Kills `clerical` at random moments and checks nothing was lost: Benchmarks/crash.sh, CrashTests.
        .executableTarget(
            name: "clerical-crash",
            dependencies: ["ClericalCore", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/Crash"
        ),
        // One libFuzzer target per parser (Benchmarks/fuzz.sh); built plainly it replays inputs.
        .executableTarget(
            name: "clerical-fuzz",
            dependencies: ["ClericalCore", "ClericalStore", "ClericalTUI", "ClericalPostgres"],
            path: "Benchmarks/Fuzz/Target"
        ),
        .testTarget(name: "ClericalCoreTests", dependencies: ["ClericalCore"]),
        // URLs read as libpq reads them; the two backends' schemas side by side (a real server).
        .testTarget(
            name: "ClericalPostgresTests",
            dependencies: ["ClericalCore", "ClericalStore", "ClericalPostgres", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "ClericalTUITests",
            dependencies: ["ClericalCore", "ClericalStore", "ClericalTUI"],
            exclude: ["__Snapshots__", "Fixtures"]
        ),
        .testTarget(
            name: "ClericalStoreTests",
            dependencies: ["ClericalCore", "ClericalStore", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]
        ),
        // Runs the built `clerical` binary as a user would; fixtures come from ClericalStoreTests.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["clerical", "clerical-load", "clerical-crash", "clerical-fuzz", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Scripts"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
