import Foundation
import GRDB
import SealboxCore
import SealboxCrypto

// Secrets Manager secrets: a metadata row per secret and a row per version, by account and region.
extension SQLiteStore {
    public func loadSecrets() throws -> [StoredSecret] {
        try database.read { db in
            var versions: [[String]: [SecretVersion]] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT account, region, name, version_id, stages, created, is_binary, value FROM secret_versions
                    ORDER BY account, region, name, created, version_id
                    """)
            while let row = try rows.next() {
                let value: Data = row["value"]
                let stages: String = row["stages"]
                versions[[row["account"], row["region"], row["name"]], default: []].append(
                    SecretVersion(
                        id: row["version_id"],
                        stages: try JSONDecoder().decode([String].self, from: Data(stages.utf8)),
                        created: row["created"], binary: row["is_binary"], value: Array(value)))
            }
            return try Row.fetchAll(db, sql: "SELECT account, region, name, metadata FROM secrets").map { row in
                let metadata: String = row["metadata"]
                let key: [String] = [row["account"], row["region"], row["name"]]
                return StoredSecret(
                    name: key[2], scope: Scope(account: key[0], region: key[1]),
                    metadata: try JSONDecoder().decode(SecretMetadata.self, from: Data(metadata.utf8)),
                    versions: versions[key] ?? [])
            }
        }
    }

    public func loadSecret(at address: Scoped<String>) throws -> StoredSecret? {
        try loadSecrets().first { $0.address == address }
    }

    public func apply(_ changes: [SecretChange]) throws {
        try database.write { db in
            for change in changes { try apply(change, db) }
        }
    }

    private func apply(_ change: SecretChange, _ db: Database) throws {
        if let secret = change.secret {
            let key: StatementArguments = [secret.scope.account, secret.scope.region, secret.name]
            let metadata = String(decoding: try JSONEncoder().encode(secret.metadata), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO secrets (account, region, name, metadata) VALUES (?, ?, ?, ?)
                    ON CONFLICT(account, region, name) DO UPDATE SET metadata = excluded.metadata
                    """,
                arguments: key + [metadata])
            for version in secret.versions where change.writtenVersions.contains(version.id) {
                let stages = String(decoding: try JSONEncoder().encode(version.stages), as: UTF8.self)
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO secret_versions
                            (account, region, name, version_id, stages, created, is_binary, value)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: key + [version.id, stages, version.created, version.binary, Data(version.value)])
            }
            for id in change.removedVersions {
                try db.execute(
                    sql:
                        "DELETE FROM secret_versions WHERE account = ? AND region = ? AND name = ? AND version_id = ?",
                    arguments: key + [id])
            }
        }
        for address in change.deleted {
            let key: StatementArguments = [address.scope.account, address.scope.region, address.name]
            try db.execute(
                sql: "DELETE FROM secret_versions WHERE account = ? AND region = ? AND name = ?", arguments: key)
            try db.execute(sql: "DELETE FROM secrets WHERE account = ? AND region = ? AND name = ?", arguments: key)
        }
    }
}
