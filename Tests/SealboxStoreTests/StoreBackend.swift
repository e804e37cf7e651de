import Foundation
import Logging
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

#if PostgreSQL
    import SealboxPostgres
#endif

/// The two store implementations, for tests that every store must pass. PostgreSQL runs when
/// `SEALBOX_TEST_POSTGRES` names a server (`make test` starts one); each store gets a database of
/// its own, created through `psql`.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// The server's URL, whose database new ones are created from.
    static let postgresURL = ProcessInfo.processInfo.environment["SEALBOX_TEST_POSTGRES"]

    /// SQLite always; PostgreSQL when the build has it and a server was given.
    static var available: [StoreBackend] {
        #if PostgreSQL
            postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
        #else
            [.sqlite]
        #endif
    }

    var testDescription: String { rawValue }

    /// A new, empty store.
    func open() throws -> any SealboxStorage {
        switch self {
        case .sqlite: try SQLiteStore()
        case .postgres:
            #if PostgreSQL
                try PostgresStore(try Self.newDatabase(), password: nil, logger: Logger(label: "test"))
            #else
                throw SetupError(description: "this build has no PostgreSQL store")
            #endif
        }
    }

    #if PostgreSQL
        /// A second store on the same database as `store`: another daemon of the fleet.
        static func sibling(of location: StoreLocation.PostgresLocation) throws -> PostgresStore {
            try PostgresStore(location, password: nil, logger: Logger(label: "test"))
        }
    #endif

    /// Creates a database on the test server.
    static func newDatabase() throws -> StoreLocation.PostgresLocation {
        let url = try #require(postgresURL, "SEALBOX_TEST_POSTGRES is not set")
        guard case .postgres(var location) = try StoreLocation(url) else {
            throw SetupError(description: "SEALBOX_TEST_POSTGRES is not a postgres:// URL")
        }
        let name = "store_test_\(KeyID.random().description.prefix(8).lowercased())"
        try psql(url, "CREATE DATABASE \(name)")
        location.database = name
        return location
    }

    /// Runs SQL on a database of the test server, as an operator would.
    static func psql(_ location: StoreLocation.PostgresLocation, _ sql: String) throws {
        let server = try #require(postgresURL, "SEALBOX_TEST_POSTGRES is not set")
        var url = try #require(URLComponents(string: server))
        url.path = "/" + location.database
        let target = try #require(url.string)
        try psql(target, sql)
    }

    private static func psql(_ url: String, _ sql: String) throws {
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", "-v", "ON_ERROR_STOP=1", "-q", url, "-c", sql]
        try psql.run()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else { throw SetupError(description: "psql failed: \(sql)") }
    }
}

@Suite struct StoreBackendTests {
    /// `make test` sets SEALBOX_REQUIRE_POSTGRES, so a missing server fails rather than skips.
    @Test func postgresIsThereWhenRequired() {
        guard ProcessInfo.processInfo.environment["SEALBOX_REQUIRE_POSTGRES"] == "1" else { return }
        #expect(StoreBackend.postgresURL != nil, "SEALBOX_REQUIRE_POSTGRES=1 but SEALBOX_TEST_POSTGRES is not set")
    }
}
