// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "sealbox",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sealboxd", targets: ["sealboxd"]),
        .executable(name: "sealbox", targets: ["sealbox"]),
        .library(name: "SealboxAPI", targets: ["SealboxAPI"]),
        .library(name: "SealboxClient", targets: ["SealboxClient"]),
        .library(name: "SealboxTesting", targets: ["SealboxTesting"]),
    ],
    traits: [
        .trait(
            name: "PostgreSQL",
            description:
                "The PostgreSQL store (postgres-nio, which brings two copies of BoringSSL). The fuzz and sanitizer builds leave it out."
        ),
        .default(enabledTraits: ["PostgreSQL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C shims: only SealboxCrypto imports these.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "CSealboxSys"),
        .target(name: "CSealboxFuzz"),

        .target(
            name: "SealboxCrypto",
            dependencies: ["CSodium", "CLibCrypto", "CSealboxSys"]
        ),
        .target(
            name: "SealboxCore",
            dependencies: [
                "SealboxCrypto",
                .product(name: "Yams", package: "Yams"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        .target(
            name: "SealboxAWS",
            dependencies: [
                "SealboxCore",
                "SealboxCrypto",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "SealboxStore",
            dependencies: [
                "SealboxCore",
                "SealboxCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // The store many daemons share; only with the PostgreSQL trait.
        .target(
            name: "SealboxPostgres",
            dependencies: [
                "SealboxCore",
                "SealboxCrypto",
                "SealboxStore",
                // Conditional too, so that a build without the trait compiles none of postgres-nio.
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SealboxServer",
            dependencies: [
                "SealboxAPI",
                "SealboxAWS",
                "SealboxCore",
                "SealboxCrypto",
                "SealboxStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]
        ),
        // The daemon's options: flags, `SEALBOX_*` variables and defaults, merged and validated once.
        .target(
            name: "SealboxDaemon",
            dependencies: [
                "SealboxCore",
                "SealboxServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The native API's paths and JSON bodies, shared by the daemon's callers; Foundation only.
        .target(name: "SealboxAPI"),
        .target(
            name: "SealboxClient",
            dependencies: [
                "SealboxAPI",
                "SealboxCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SealboxTesting",
            dependencies: ["SealboxAPI", "SealboxClient"]
        ),
        .executableTarget(
            name: "sealboxd",
            dependencies: [
                "SealboxAWS",
                "SealboxDaemon",
                "SealboxServer",
                "SealboxCore",
                "SealboxStore",
                .target(name: "SealboxPostgres", condition: .when(traits: ["PostgreSQL"])),
                "SealboxCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "sealbox",
            dependencies: [
                "SealboxAPI",
                "SealboxClient",
                "SealboxStore",
                .target(name: "SealboxPostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sealbox-vectors",
            dependencies: [
                "SealboxCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sealbox-bench",
            dependencies: [
                "SealboxAPI",
                "SealboxClient",
                "SealboxCrypto",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(
            name: "sealbox-baseline",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets: libFuzzer with `make fuzz`, a corpus replay in an ordinary build.
        .executableTarget(
            name: "sealbox-fuzz",
            dependencies: [
                "CSealboxFuzz",
                "SealboxAWS",
                "SealboxServer",
                "SealboxCore",
                "SealboxStore",
                "SealboxCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "SealboxAPITests", dependencies: ["SealboxAPI"]),
        .testTarget(name: "SealboxCryptoTests", dependencies: ["SealboxCrypto"]),
        .testTarget(name: "SealboxCoreTests", dependencies: ["SealboxCore", "SealboxCrypto", "SealboxStore"]),
        .testTarget(
            name: "SealboxAWSTests", dependencies: ["SealboxAWS", "SealboxCore", "SealboxCrypto", "SealboxStore"]
        ),
        .testTarget(
            name: "SealboxStoreTests",
            dependencies: [
                "SealboxStore", "SealboxCore", "SealboxCrypto", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .target(name: "SealboxPostgres", condition: .when(traits: ["PostgreSQL"])),
            ]
        ),
        .testTarget(
            name: "SealboxServerTests",
            dependencies: [
                "SealboxServer", "SealboxAWS", "SealboxCore", "SealboxCrypto",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SealboxDaemonTests",
            dependencies: [
                "SealboxDaemon", "SealboxCore", "SealboxServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SealboxIntegrationTests",
            dependencies: [
                "SealboxAPI", "SealboxClient", "SealboxCrypto", "SealboxCore", "SealboxTesting",
            ]
        ),
    ]
)
