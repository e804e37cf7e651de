import Foundation
import GRDB
import SealboxCore
import SealboxCrypto

/// The embedded store: one SQLite file in WAL mode with full synchronous commits, so every
/// acknowledged write survives `kill -9` and power loss. An in-memory database serves `--ephemeral`.
public final class SQLiteStore: SealboxStorage {
    private let database: DatabaseQueue
    /// The file, for a second read-only connection; nil in memory.
    private let path: String?

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

    static func migrator(home: Scope) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-kms") { db in
            try db.execute(
                sql: """
                    CREATE TABLE kms_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        record TEXT NOT NULL
                    );
                    CREATE TABLE kms_key_versions (
                        key_id TEXT NOT NULL REFERENCES kms_keys(id) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        wrapped BLOB NOT NULL,
                        created REAL NOT NULL,
                        rotation_type TEXT NOT NULL,
                        PRIMARY KEY (key_id, version)
                    );
                    CREATE TABLE kms_aliases (
                        name TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL REFERENCES kms_keys(id) ON DELETE CASCADE,
                        created REAL NOT NULL,
                        updated REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2-ssm") { db in
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameters (
                        name TEXT PRIMARY KEY NOT NULL,
                        tags TEXT NOT NULL
                    );
                    CREATE TABLE ssm_parameter_versions (
                        name TEXT NOT NULL REFERENCES ssm_parameters(name) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        record TEXT NOT NULL,
                        value BLOB NOT NULL,
                        PRIMARY KEY (name, version)
                    );
                    """)
        }
        migrator.registerMigration("v3-ssm-columns") { db in
            // Metadata in columns: decoding one JSON record per version dominated startup.
            try db.execute(
                sql: """
                    ALTER TABLE ssm_parameter_versions ADD COLUMN type TEXT NOT NULL DEFAULT 'String';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN key_id TEXT;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN description TEXT;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN allowed_pattern TEXT;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN tier TEXT NOT NULL DEFAULT 'Standard';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN data_type TEXT NOT NULL DEFAULT 'text';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN modified REAL NOT NULL DEFAULT 0;
                    ALTER TABLE ssm_parameter_versions ADD COLUMN modified_by TEXT NOT NULL DEFAULT '';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE ssm_parameter_versions ADD COLUMN context_arn TEXT;
                    UPDATE ssm_parameter_versions SET
                        type = json_extract(record, '$.type'),
                        key_id = json_extract(record, '$.keyId'),
                        description = json_extract(record, '$.description'),
                        allowed_pattern = json_extract(record, '$.allowedPattern'),
                        tier = json_extract(record, '$.tier'),
                        data_type = json_extract(record, '$.dataType'),
                        modified = json_extract(record, '$.modified'),
                        modified_by = json_extract(record, '$.modifiedBy'),
                        labels = json_extract(record, '$.labels'),
                        context_arn = json_extract(record, '$.contextArn'),
                        record = '';
                    """)
        }
        migrator.registerMigration("v4-ssm-clustered") { db in
            // Clustered by (name, version) and without the emptied JSON column: start-up reads the
            // versions in key order, which is now the table's own order instead of an index walk.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameter_versions_v4 (
                        name TEXT NOT NULL REFERENCES ssm_parameters(name) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        key_id TEXT,
                        description TEXT,
                        allowed_pattern TEXT,
                        tier TEXT NOT NULL,
                        data_type TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        context_arn TEXT,
                        value BLOB NOT NULL,
                        PRIMARY KEY (name, version)
                    ) WITHOUT ROWID;
                    INSERT INTO ssm_parameter_versions_v4
                        SELECT name, version, type, key_id, description, allowed_pattern, tier, data_type, modified,
                               modified_by, labels, context_arn, value
                        FROM ssm_parameter_versions;
                    DROP TABLE ssm_parameter_versions;
                    ALTER TABLE ssm_parameter_versions_v4 RENAME TO ssm_parameter_versions;
                    """)
        }
        migrator.registerMigration("v5-secrets") { db in
            // Daemon secrets (the audit MAC key) wrapped under the root key, so they survive its rotation.
            try db.execute(
                sql: "CREATE TABLE sealbox_secrets (name TEXT PRIMARY KEY NOT NULL, wrapped BLOB NOT NULL)")
        }
        migrator.registerMigration("v6-ssm-tagged") { db in
            // Start-up reads the few tagged parameters; without this it scans every row for them.
            try db.execute(sql: "CREATE INDEX ssm_parameters_tagged ON ssm_parameters(name) WHERE tags <> '[]'")
        }
        migrator.registerMigration("v7-ssm-sealed-in") { db in
            // A SecureString's encryption context is its own name's ARN, built at each read: only the
            // region and account it was sealed in are stored. A stored ARN that was not the row's own
            // (a value copied from another parameter's row) leaves no binding, and the value never opens.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameter_versions_v7 (
                        name TEXT NOT NULL REFERENCES ssm_parameters(name) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        key_id TEXT,
                        description TEXT,
                        allowed_pattern TEXT,
                        tier TEXT NOT NULL,
                        data_type TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        sealed_region TEXT,
                        sealed_account TEXT,
                        value BLOB NOT NULL,
                        PRIMARY KEY (name, version)
                    ) WITHOUT ROWID;
                    INSERT INTO ssm_parameter_versions_v7
                        SELECT name, version, type, key_id, description, allowed_pattern, tier, data_type, modified,
                               modified_by, labels, NULL, NULL, value
                        FROM ssm_parameter_versions;
                    """)
            let sealed = try Row.fetchCursor(
                db, sql: "SELECT name, version, context_arn FROM ssm_parameter_versions WHERE context_arn IS NOT NULL")
            while let row = try sealed.next() {
                let name: String = row["name"]
                guard let scope = ParameterName.sealedIn(arn: row["context_arn"], name: name) else { continue }
                try db.execute(
                    sql: """
                        UPDATE ssm_parameter_versions_v7 SET sealed_region = ?, sealed_account = ?
                        WHERE name = ? AND version = ?
                        """,
                    arguments: [scope.region, scope.account, name, row["version"] as Int])
            }
            try db.execute(
                sql: """
                    DROP TABLE ssm_parameter_versions;
                    ALTER TABLE ssm_parameter_versions_v7 RENAME TO ssm_parameter_versions;
                    """)
        }
        migrator.registerMigration("v8-kms-grants") { db in
            // Grants are read whole at start and looked up in memory, so each is one JSON record.
            try db.execute(
                sql: """
                    CREATE TABLE kms_grants (
                        id TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL REFERENCES kms_keys(id) ON DELETE CASCADE,
                        record TEXT NOT NULL
                    );
                    CREATE INDEX kms_grants_key ON kms_grants(key_id);
                    """)
        }
        migrator.registerMigration("v9-kms-scoped") { db in
            // Keys, aliases and grants belong to an account and region; a multi-Region key has one id
            // in several. What was stored before goes to the daemon's home scope.
            try db.execute(
                sql: """
                    CREATE TABLE kms_keys_v9 (
                        id TEXT NOT NULL,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        record TEXT NOT NULL,
                        PRIMARY KEY (id, account, region)
                    );
                    CREATE TABLE kms_key_versions_v9 (
                        key_id TEXT NOT NULL,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        wrapped BLOB NOT NULL,
                        created REAL NOT NULL,
                        rotation_type TEXT NOT NULL,
                        PRIMARY KEY (key_id, account, region, version),
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys(id, account, region)
                            ON DELETE CASCADE
                    );
                    CREATE TABLE kms_aliases_v9 (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        created REAL NOT NULL,
                        updated REAL NOT NULL,
                        PRIMARY KEY (account, region, name),
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys(id, account, region)
                            ON DELETE CASCADE
                    );
                    CREATE TABLE kms_grants_v9 (
                        id TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL,
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        record TEXT NOT NULL,
                        FOREIGN KEY (key_id, account, region) REFERENCES kms_keys(id, account, region)
                            ON DELETE CASCADE
                    );
                    INSERT INTO kms_keys_v9
                        SELECT id, :account, :region,
                               json_set(record, '$.scope', json_object('account', :account, 'region', :region))
                        FROM kms_keys;
                    INSERT INTO kms_key_versions_v9
                        SELECT key_id, :account, :region, version, wrapped, created, rotation_type FROM kms_key_versions;
                    INSERT INTO kms_aliases_v9 SELECT :account, :region, name, key_id, created, updated FROM kms_aliases;
                    INSERT INTO kms_grants_v9
                        SELECT id, key_id, :account, :region, json_set(record, '$.account', :account, '$.region', :region)
                        FROM kms_grants;
                    DROP TABLE kms_grants;
                    DROP TABLE kms_aliases;
                    DROP TABLE kms_key_versions;
                    DROP TABLE kms_keys;
                    ALTER TABLE kms_keys_v9 RENAME TO kms_keys;
                    ALTER TABLE kms_key_versions_v9 RENAME TO kms_key_versions;
                    ALTER TABLE kms_aliases_v9 RENAME TO kms_aliases;
                    ALTER TABLE kms_grants_v9 RENAME TO kms_grants;
                    CREATE INDEX kms_grants_key ON kms_grants(key_id, account, region);
                    """,
                arguments: ["account": home.account, "region": home.region])
        }
        migrator.registerMigration("v10-ssm-service-settings") { db in
            // Only settings changed from their defaults are stored; a reset deletes the row.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_service_settings (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        setting_id TEXT NOT NULL,
                        value TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        PRIMARY KEY (account, region, setting_id)
                    )
                    """)
        }
        migrator.registerMigration("v11-ssm-parameter-policies") { db in
            // NULL for the many versions without policies.
            try db.execute(sql: "ALTER TABLE ssm_parameter_versions ADD COLUMN policies TEXT")
        }
        migrator.registerMigration("v12-ssm-scoped") { db in
            // Parameters belong to an account and region, as keys do. What was stored before goes to
            // the daemon's home scope; public parameters (`/aws/service/...`) to its region and no
            // account.
            try db.execute(
                sql: """
                    CREATE TABLE ssm_parameters_v12 (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        tags TEXT NOT NULL,
                        PRIMARY KEY (account, region, name)
                    ) WITHOUT ROWID;
                    CREATE TABLE ssm_parameter_versions_v12 (
                        account TEXT NOT NULL,
                        region TEXT NOT NULL,
                        name TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        key_id TEXT,
                        description TEXT,
                        allowed_pattern TEXT,
                        tier TEXT NOT NULL,
                        data_type TEXT NOT NULL,
                        modified REAL NOT NULL,
                        modified_by TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        sealed_region TEXT,
                        sealed_account TEXT,
                        value BLOB NOT NULL,
                        policies TEXT,
                        PRIMARY KEY (account, region, name, version),
                        FOREIGN KEY (account, region, name) REFERENCES ssm_parameters_v12(account, region, name)
                            ON DELETE CASCADE
                    ) WITHOUT ROWID;
                    INSERT INTO ssm_parameters_v12
                        SELECT CASE WHEN substr(name, 1, 13) = '/aws/service/' AND length(name) > 13 THEN '' ELSE :account END, :region, name, tags
                        FROM ssm_parameters;
                    INSERT INTO ssm_parameter_versions_v12
                        SELECT CASE WHEN substr(name, 1, 13) = '/aws/service/' AND length(name) > 13 THEN '' ELSE :account END, :region, name, version,
                               type, key_id, description, allowed_pattern, tier, data_type, modified, modified_by,
                               labels, sealed_region, sealed_account, value, policies
                        FROM ssm_parameter_versions;
                    DROP TABLE ssm_parameter_versions;
                    DROP TABLE ssm_parameters;
                    ALTER TABLE ssm_parameters_v12 RENAME TO ssm_parameters;
                    ALTER TABLE ssm_parameter_versions_v12 RENAME TO ssm_parameter_versions;
                    CREATE INDEX ssm_parameters_tagged ON ssm_parameters(account, region, name) WHERE tags <> '[]';
                    """,
                arguments: ["account": home.account, "region": home.region])
        }
        migrator.registerMigration("v13-ssm-resource-policies") { db in
            // NULL for the many parameters that are not shared; start-up reads the few through the index.
            try db.execute(
                sql: """
                    ALTER TABLE ssm_parameters ADD COLUMN resource_policies TEXT;
                    CREATE INDEX ssm_parameters_shared ON ssm_parameters(account, region, name)
                        WHERE resource_policies IS NOT NULL;
                    """)
        }
        return migrator
    }

    public func loadKeys() throws -> [StoredKey] {
        try database.read { db in
            var versions: [[String]: [KeyVersionRecord]] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT key_id, account, region, version, wrapped, created, rotation_type FROM kms_key_versions
                    ORDER BY key_id, account, region, version
                    """)
            while let row = try rows.next() {
                let type = RotationType(rawValue: row["rotation_type"]) ?? .created
                let wrapped: Data = row["wrapped"]
                versions[[row["key_id"], row["account"], row["region"]], default: []].append(
                    KeyVersionRecord(
                        version: row["version"], wrappedMaterial: Array(wrapped), created: row["created"],
                        rotationType: type))
            }
            let decoder = JSONDecoder()
            return try Row.fetchAll(db, sql: "SELECT id, account, region, record FROM kms_keys").map { row in
                let record = try decoder.decode(KeyRecord.self, from: Data((row["record"] as String).utf8))
                return StoredKey(
                    record: record, versions: versions[[row["id"], row["account"], row["region"]]] ?? [])
            }
        }
    }

    public func loadAliases() throws -> [AliasRecord] {
        try database.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT account, region, name, key_id, created, updated FROM kms_aliases")
            return rows.compactMap { row -> AliasRecord? in
                guard let id = KeyID(row["key_id"] as String) else { return nil }
                return AliasRecord(
                    name: row["name"], scope: Scope(account: row["account"], region: row["region"]), keyID: id,
                    created: row["created"], updated: row["updated"])
            }
        }
    }

    public func loadGrants() throws -> [GrantRecord] {
        let decoder = JSONDecoder()
        return try database.read { db in
            try String.fetchAll(db, sql: "SELECT record FROM kms_grants").map { record in
                try decoder.decode(GrantRecord.self, from: Data(record.utf8))
            }
        }
    }

    public func saveGrant(_ grant: GrantRecord) throws {
        let record = String(decoding: try JSONEncoder().encode(grant), as: UTF8.self)
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO kms_grants (id, key_id, account, region, record) VALUES (?, ?, ?, ?, ?)",
                arguments: [grant.id, grant.keyID.description, grant.key.scope.account, grant.key.scope.region, record])
        }
    }

    public func deleteGrant(_ id: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM kms_grants WHERE id = ?", arguments: [id])
        }
    }

    // MARK: Service settings

    public func loadServiceSettings() throws -> [ServiceSettingRecord] {
        try database.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT account, region, setting_id, value, modified, modified_by FROM ssm_service_settings")
            // A row of a setting this build does not know is left in the file, unread.
            return rows.compactMap { row -> ServiceSettingRecord? in
                guard let setting = ServiceSetting(rawValue: row["setting_id"]) else { return nil }
                return ServiceSettingRecord(
                    scope: Scope(account: row["account"], region: row["region"]), setting: setting,
                    value: row["value"], modified: row["modified"], modifiedBy: row["modified_by"])
            }
        }
    }

    public func saveServiceSetting(_ record: ServiceSettingRecord) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO ssm_service_settings
                        (account, region, setting_id, value, modified, modified_by) VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.scope.account, record.scope.region, record.setting.rawValue, record.value,
                    record.modified, record.modifiedBy,
                ])
        }
    }

    public func deleteServiceSetting(_ address: Scoped<String>) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM ssm_service_settings WHERE account = ? AND region = ? AND setting_id = ?",
                arguments: [address.scope.account, address.scope.region, address.name])
        }
    }

    public func loadSecret(_ name: String) throws -> [UInt8]? {
        try database.read { db in
            try Data.fetchOne(db, sql: "SELECT wrapped FROM sealbox_secrets WHERE name = ?", arguments: [name])
                .map(Array.init)
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

    public func saveKeys(_ keys: [StoredKey]) throws {
        let encoder = JSONEncoder()
        let records = try keys.map { String(decoding: try encoder.encode($0.record), as: UTF8.self) }
        try database.write { db in
            for (key, record) in zip(keys, records) { try Self.save(key, record: record, db) }
        }
    }

    private static func save(_ key: StoredKey, record: String, _ db: Database) throws {
        let (id, account, region) = (key.record.id.description, key.record.scope.account, key.record.scope.region)
        try db.execute(
            sql: """
                INSERT INTO kms_keys (id, account, region, record) VALUES (?, ?, ?, ?)
                ON CONFLICT(id, account, region) DO UPDATE SET record = excluded.record
                """,
            arguments: [id, account, region, record])
        // Versions the key no longer has (deleted imported material) go with this change.
        let kept = key.versions.map { String($0.version) }.joined(separator: ",")
        try db.execute(
            sql: """
                DELETE FROM kms_key_versions
                WHERE key_id = ? AND account = ? AND region = ? AND version NOT IN (\(kept))
                """,
            arguments: [id, account, region])
        for version in key.versions {
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO kms_key_versions
                        (key_id, account, region, version, wrapped, created, rotation_type)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, account, region, version.version, Data(version.wrappedMaterial), version.created,
                    version.rotationType.rawValue,
                ])
        }
    }

    public func deleteKey(_ address: KeyAddress) throws {
        let arguments: StatementArguments = [address.name.description, address.scope.account, address.scope.region]
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM kms_grants WHERE key_id = ? AND account = ? AND region = ?", arguments: arguments)
            try db.execute(
                sql: "DELETE FROM kms_aliases WHERE key_id = ? AND account = ? AND region = ?", arguments: arguments)
            try db.execute(
                sql: "DELETE FROM kms_key_versions WHERE key_id = ? AND account = ? AND region = ?",
                arguments: arguments)
            try db.execute(
                sql: "DELETE FROM kms_keys WHERE id = ? AND account = ? AND region = ?", arguments: arguments)
        }
    }

    public func saveAlias(_ alias: AliasRecord) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO kms_aliases (account, region, name, key_id, created, updated) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(account, region, name) DO UPDATE SET key_id = excluded.key_id, updated = excluded.updated
                    """,
                arguments: [
                    alias.scope.account, alias.scope.region, alias.name, alias.keyID.description, alias.created,
                    alias.updated,
                ])
        }
    }

    public func deleteAlias(_ address: Scoped<String>) throws {
        try database.write { db in
            try db.execute(
                sql: "DELETE FROM kms_aliases WHERE account = ? AND region = ? AND name = ?",
                arguments: [address.scope.account, address.scope.region, address.name])
        }
    }

    // MARK: Parameters

    /// The few parameters with tags, read through the `ssm_parameters_tagged` index.
    static let taggedParametersQuery = "SELECT account, region, name, tags FROM ssm_parameters WHERE tags <> '[]'"
    /// The few shared parameters, read through the `ssm_parameters_shared` index.
    static let sharedParametersQuery =
        "SELECT account, region, name, resource_policies FROM ssm_parameters WHERE resource_policies IS NOT NULL"

    /// Stores with at least this many parameters are read in two halves at once.
    static let parallelLoadThreshold = 10_000

    /// One pass over the versions in name order, so parameters come out sorted and grouped without
    /// a dictionary of every name; start-up time with 100,000 parameters is mostly this loop.
    ///
    /// A large file store is read in two halves at once: the upper half on a second, read-only
    /// connection in another thread, while `body` takes the lower half here, then the upper one.
    /// The halves are separate read transactions, which is consistent because the SSM loads before
    /// it writes anything.
    public func loadParameters(reserve: (Int) -> Void, _ body: (StoredParameter) throws -> Void) throws {
        let (extras, count, split) = try database.read { db in
            var tags: [ParameterAddress: [KeyTag]] = [:]
            let tagged = try Row.fetchAll(db, sql: Self.taggedParametersQuery)
            for row in tagged {
                let address = ParameterAddress(row[2], in: Scope(account: row[0], region: row[1]))
                tags[address] = try JSONDecoder().decode([KeyTag].self, from: Data((row[3] as String).utf8))
            }
            var shared: [ParameterAddress: [ParameterResourcePolicy]] = [:]
            for row in try Row.fetchAll(db, sql: Self.sharedParametersQuery) {
                let address = ParameterAddress(row[2], in: Scope(account: row[0], region: row[1]))
                shared[address] = try JSONDecoder().decode(
                    [ParameterResourcePolicy].self, from: Data((row[3] as String).utf8))
            }
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM ssm_parameters") ?? 0
            let extras = Extras(tags: tags, shared: shared)
            guard path != nil, count >= Self.parallelLoadThreshold else {
                return (extras, count, ParameterAddress?.none)
            }
            let middle = try Row.fetchOne(
                db,
                sql: "SELECT account, region, name FROM ssm_parameters ORDER BY account, region, name LIMIT 1 OFFSET ?",
                arguments: [count / 2]
            ).map { ParameterAddress($0[2], in: Scope(account: $0[0], region: $0[1])) }
            return (extras, count, middle)
        }
        reserve(count)
        guard let split, let path else {
            try database.read { db in try Self.readParameters(db, extras: extras, below: nil, from: nil, body) }
            return
        }
        let upper = Locked<Result<[StoredParameter], any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        // A thread of its own: the caller blocks below, and may itself be a dispatch worker, so a
        // queue of the same pool waits for a free worker: about a second on a one-CPU machine.
        Thread {
            let result = Result {
                var configuration = Configuration()
                configuration.readonly = true
                // A scan reads each page once; the default 2 MiB cache would only leave holes in the heap.
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = -128") }
                return try DatabaseQueue(path: path, configuration: configuration).read { db in
                    var parameters: [StoredParameter] = []
                    try Self.readParameters(db, extras: extras, below: nil, from: split) { parameters.append($0) }
                    return parameters
                }
            }
            upper.withLock { $0 = result }
            finished.signal()
        }.start()
        let lower = Result {
            try database.read { db in try Self.readParameters(db, extras: extras, below: split, from: nil, body) }
        }
        finished.wait()
        try lower.get()
        for parameter in try upper.withLock({ $0! }).get() { try body(parameter) }
    }

    /// What the few parameters that have them carry besides their versions.
    private struct Extras {
        var tags: [ParameterAddress: [KeyTag]]
        var shared: [ParameterAddress: [ParameterResourcePolicy]]
    }

    /// The parameters with addresses in `from..<below` (either end open when nil), in the order of
    /// account, region and name.
    private static func readParameters(
        _ db: Database, extras: Extras, below: ParameterAddress?, from: ParameterAddress?,
        _ body: (StoredParameter) throws -> Void
    ) throws {
        var current: StoredParameter? = nil
        var pool = ParameterMetadataPool()
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let from {
            conditions.append("(account, region, name) >= (?, ?, ?)")
            arguments += [from.scope.account, from.scope.region, from.name]
        }
        if let below {
            conditions.append("(account, region, name) < (?, ?, ?)")
            arguments += [below.scope.account, below.scope.region, below.name]
        }
        let statement = try db.makeStatement(
            sql: """
                SELECT name, version, type, key_id, description, allowed_pattern, tier, data_type, modified,
                       modified_by, labels, sealed_region, sealed_account, value, policies, account, region
                FROM ssm_parameter_versions \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY account, region, name, version
                """)
        var scope = Scope(account: "", region: "")
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        var columns = RowColumns(statement)
        while try rows.next() != nil {
            let metadata = ParameterMetadata(
                keyId: columns.optionalText(3), description: columns.optionalText(4),
                allowedPattern: columns.optionalText(5), tier: columns.text(6), dataType: columns.text(7),
                modifiedBy: columns.text(9), labels: try Self.strings(columns.text(10)),
                policies: columns.isNull(14) ? [] : try Self.policies(columns.text(14)))
            let name = columns.text(0)
            // Almost every row is in the scope of the row before: compared as bytes, not copied.
            let sameScope = columns.withBytes(15) { account in
                columns.withBytes(16) { region in
                    scope.account.utf8.elementsEqual(account) && scope.region.utf8.elementsEqual(region)
                }
            }
            if !sameScope { scope = Scope(account: columns.text(15), region: columns.text(16)) }
            let type = columns.withBytes(2) { text in Self.parameterTypes.first { $0.text.elementsEqual(text) } }
            let sealed = !columns.isNull(11) && !columns.isNull(12)
            let version = columns.withBytes(11) { region in
                columns.withBytes(12) { account in
                    ParameterVersionRecord(
                        name: name, version: columns.int(1), type: type?.type ?? .string, metadata: metadata,
                        modified: columns.double(8), sealedIn: sealed ? (region, account) : nil,
                        value: columns.bytes(13), pool: &pool)
                }
            }
            if current?.name == name, sameScope {
                current?.versions.append(version)
            } else {
                if let done = current { try body(done) }
                let address = extras.tags.isEmpty && extras.shared.isEmpty ? nil : ParameterAddress(name, in: scope)
                current = StoredParameter(
                    name: name, scope: scope, tags: address.flatMap { extras.tags[$0] } ?? [],
                    versions: ParameterVersions(version),
                    resourcePolicies: address.flatMap { extras.shared[$0] } ?? [])
            }
        }
        if let done = current { try body(done) }
    }

    private static let parameterTypes = ParameterType.allCases.map { (text: Array($0.rawValue.utf8), type: $0) }

    /// A JSON array of strings (labels); almost always empty.
    private static func strings(_ text: String) throws -> [String] {
        text == "[]" ? [] : try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// A version's parameter policies, stored as JSON only when it has some.
    private static func policies(_ text: String) throws -> [ParameterPolicy] {
        try JSONDecoder().decode([ParameterPolicy].self, from: Data(text.utf8))
    }

    public func apply(_ change: ParameterChange) throws {
        try apply([change])
    }

    public func apply(_ changes: [ParameterChange]) throws {
        try database.write { db in
            for change in changes { try Self.apply(change, db) }
        }
    }

    private static func apply(_ change: ParameterChange, _ db: Database) throws {
        // Cached statements: compiling each statement again was a quarter of a PutParameter's CPU.
        // A cached statement keeps its last arguments, so they are dropped once it has run: the
        // sealed value should not outlive its write.
        func run(_ sql: String, _ arguments: StatementArguments) throws {
            let statement = try db.cachedStatement(sql: sql)
            try statement.execute(arguments: arguments)
            statement.setUncheckedArguments([])
        }
        // Tags and labels are usually empty: an encoder only for a list that has something.
        func json(_ list: [some Encodable]) throws -> String {
            list.isEmpty ? "[]" : String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
        }
        if let parameter = change.parameter {
            try run(
                """
                INSERT INTO ssm_parameters (account, region, name, tags, resource_policies) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(account, region, name)
                DO UPDATE SET tags = excluded.tags, resource_policies = excluded.resource_policies
                """,
                [
                    parameter.scope.account, parameter.scope.region, parameter.name, try json(parameter.tags),
                    parameter.resourcePolicies.isEmpty ? nil : try json(parameter.resourcePolicies),
                ])
            for version in parameter.versions where change.writtenVersions.contains(version.version) {
                try run(
                    """
                    INSERT OR REPLACE INTO ssm_parameter_versions
                        (account, region, name, version, type, key_id, description, allowed_pattern, tier,
                         data_type, modified, modified_by, labels, sealed_region, sealed_account, value, policies)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        parameter.scope.account, parameter.scope.region, parameter.name, version.version,
                        version.type.rawValue, version.keyId, version.description,
                        version.allowedPattern, version.tier, version.dataType, version.modified,
                        version.modifiedBy, try json(version.labels), version.sealedIn?.region,
                        version.sealedIn?.account, Data(version.value),
                        version.policies.isEmpty ? nil : try json(version.policies),
                    ])
            }
            for number in change.removedVersions {
                try run(
                    "DELETE FROM ssm_parameter_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
                    [parameter.scope.account, parameter.scope.region, parameter.name, number])
            }
        }
        for address in change.deleted {
            let key: StatementArguments = [address.scope.account, address.scope.region, address.name]
            try run("DELETE FROM ssm_parameter_versions WHERE account = ? AND region = ? AND name = ?", key)
            try run("DELETE FROM ssm_parameters WHERE account = ? AND region = ? AND name = ?", key)
        }
    }
}
