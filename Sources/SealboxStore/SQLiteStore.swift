import Foundation
import GRDB
import SealboxCore
import SealboxCrypto

/// The embedded store: one SQLite file in WAL mode with full synchronous commits, so every
/// acknowledged write survives `kill -9` and power loss. An in-memory database serves `--ephemeral`.
public final class SQLiteStore: SealboxStorage {
    let database: DatabaseQueue
    /// The file, for a second read-only connection; nil in memory.
    let path: String?

    /// Opens (creating and migrating if needed) the store at `path`.
    /// - Parameters:
    ///   - path: the SQLite file.
    ///   - home: the account and region that keys and aliases stored before keys had one now belong
    ///     to: the daemon's `--account-id` and `--region`.
    public init(path: String, home: Scope = .home) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted rows (wrapped key material) are overwritten, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Reads are served from memory, so the cache only helps writes, which touch a few pages
            // each; the default 2 MiB would fill with the pages start-up scanned and stay resident.
            try db.execute(sql: "PRAGMA cache_size = -256")
        }
        configuration.busyMode = .timeout(5)
        database = try DatabaseQueue(path: path, configuration: configuration)
        self.path = path
        let migrator = Self.migrator(home: home)
        let pending = try database.read { db in try migrator.hasCompletedMigrations(db) == false }
        try migrator.migrate(database)
        // A migration that rebuilt a table leaves its old pages free; give them back once.
        if pending { try database.vacuum() }
    }

    /// An in-memory store: nothing touches the disk.
    public init() throws {
        database = try DatabaseQueue()
        path = nil
        try Self.migrator(home: .home).migrate(database)
    }

    /// Copies the live database into a new file with SQLite's online backup: a consistent snapshot,
    /// taken while readers and writers go on.
    /// - Parameter path: the new file (mode 0600); it must not exist.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw SetupError(description: "\(path) already exists")
        }
        let previous = umask(0o077)
        defer { umask(previous) }
        let destination = try DatabaseQueue(path: path)
        try database.backup(to: destination)
        try destination.close()
    }

    /// Runs SQLite's own consistency check.
    /// - Returns: `["ok"]` for a sound file, else SQLite's findings.
    public func integrityCheck() throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    public func loadSecret(_ name: String) throws -> [UInt8]? {
        try database.read { db in
            try Data.fetchOne(db, sql: "SELECT wrapped FROM sealbox_secrets WHERE name = ?", arguments: [name])
                .map(Array.init)
        }
    }

    public func loadDaemonSecrets() throws -> [String: [UInt8]] {
        try database.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, wrapped FROM sealbox_secrets").map {
                    ($0["name"] as String, Array($0["wrapped"] as Data))
                })
        }
    }

    public func saveSecret(_ name: String, _ wrapped: [UInt8]) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO sealbox_secrets (name, wrapped) VALUES (?, ?)",
                arguments: [name, Data(wrapped)])
        }
    }

    public func rewrapUnderNewRoot(
        versions: [(key: KeyAddress, version: UInt32, wrapped: [UInt8])],
        secrets: [String: [UInt8]]
    ) throws {
        try database.write { db in
            for entry in versions {
                try db.execute(
                    sql: """
                        UPDATE kms_key_versions SET wrapped = ?
                        WHERE key_id = ? AND account = ? AND region = ? AND version = ?
                        """,
                    arguments: [
                        Data(entry.wrapped), entry.key.name.description, entry.key.scope.account,
                        entry.key.scope.region, entry.version,
                    ])
                guard db.changesCount == 1 else {
                    throw SetupError(
                        description:
                            "key \(entry.key.name) (\(entry.key.scope)) version \(entry.version) is not in the store")
                }
            }
            for (name, wrapped) in secrets {
                try db.execute(
                    sql: "UPDATE sealbox_secrets SET wrapped = ? WHERE name = ?", arguments: [Data(wrapped), name])
            }
        }
    }
}
