import Foundation
import GRDB
import SealboxCore
import SealboxCrypto

// KMS keys, their versions, aliases and grants, by account and region.
extension SQLiteStore {
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

    public func loadKey(_ address: KeyAddress) throws -> StoredKey? {
        // One host needs no refresh; this serves `sealbox store copy` and the shared tests.
        try loadKeys().first { $0.record.address == address }
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
}
