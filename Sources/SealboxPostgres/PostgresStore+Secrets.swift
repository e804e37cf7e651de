// Built only with the PostgreSQL trait (Package.swift).
#if PostgreSQL
    import Foundation
    import NIOCore
    import PostgresNIO
    import SealboxCore
    import SealboxCrypto
    import SealboxStore

    // Secrets Manager secrets: a metadata row per secret and a row per version, by account and region.
    extension PostgresStore {
        public func loadSecrets() throws -> [StoredSecret] {
            try loadSecrets(nil)
        }

        public func loadSecret(at address: Scoped<String>) throws -> StoredSecret? {
            try loadSecrets(address).first
        }

        private func loadSecrets(_ address: Scoped<String>?) throws -> [StoredSecret] {
            var binds = PostgresBindings()
            var filter = ""
            if let address {
                binds.append(address.scope.account)
                binds.append(address.scope.region)
                binds.append(address.name)
                filter = "WHERE (account, region, name) = ($1, $2, $3)"
            }
            let decoder = JSONDecoder()
            var versions: [[String]: [SecretVersion]] = [:]
            let versionRows = try read(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT account, region, name, version_id, stages, created, is_binary, value FROM secret_versions
                        \(filter) ORDER BY account, region, name, created, version_id
                        """, binds: binds))
            for row in versionRows {
                let (account, region, name, id, stages, created, binary, value) = try row.decode(
                    (String, String, String, String, String, Double, Bool, ByteBuffer).self)
                versions[[account, region, name], default: []].append(
                    SecretVersion(
                        id: id, stages: try decoder.decode([String].self, from: Data(stages.utf8)), created: created,
                        binary: binary, value: Array(value.readableBytesView)))
            }
            let rows = try read(
                PostgresQuery(unsafeSQL: "SELECT account, region, name, metadata FROM secrets \(filter)", binds: binds))
            return try rows.map { row in
                let (account, region, name, metadata) = try row.decode((String, String, String, String).self)
                return StoredSecret(
                    name: name, scope: Scope(account: account, region: region),
                    metadata: try decoder.decode(SecretMetadata.self, from: Data(metadata.utf8)),
                    versions: versions[[account, region, name]] ?? [])
            }
        }

        public func apply(_ changes: [SecretChange]) throws {
            try write(
                changes, touching: { ($0.secret.map { [$0.address] } ?? []) + $0.deleted }, as: StoreChange.secret,
                apply)
        }

        private func apply(_ change: SecretChange, _ connection: PostgresConnection) throws {
            let encoder = JSONEncoder()
            if let secret = change.secret {
                let (account, region, name) = (secret.scope.account, secret.scope.region, secret.name)
                let metadata = String(decoding: try encoder.encode(secret.metadata), as: UTF8.self)
                try Self.run(
                    connection,
                    """
                    INSERT INTO secrets (account, region, name, metadata) VALUES (\(account), \(region), \(name), \(metadata))
                    ON CONFLICT (account, region, name) DO UPDATE SET metadata = excluded.metadata
                    """, logger)
                for version in secret.versions where change.writtenVersions.contains(version.id) {
                    let stages = String(decoding: try encoder.encode(version.stages), as: UTF8.self)
                    try Self.run(
                        connection,
                        """
                        INSERT INTO secret_versions (account, region, name, version_id, stages, created, is_binary, value)
                        VALUES (\(account), \(region), \(name), \(version.id), \(stages), \(version.created),
                                \(version.binary), \(ByteBuffer(bytes: version.value)))
                        ON CONFLICT (account, region, name, version_id) DO UPDATE SET
                            stages = excluded.stages, created = excluded.created, is_binary = excluded.is_binary,
                            value = excluded.value
                        """, logger)
                }
                if !change.removedVersions.isEmpty {
                    try Self.run(
                        connection,
                        """
                        DELETE FROM secret_versions
                        WHERE account = \(account) AND region = \(region) AND name = \(name)
                          AND version_id = ANY(\(Array(change.removedVersions)))
                        """, logger)
                }
            }
            for address in change.deleted {
                try Self.run(
                    connection,
                    """
                    DELETE FROM secrets
                    WHERE account = \(address.scope.account) AND region = \(address.scope.region) AND name = \(address.name)
                    """, logger)
            }
        }
    }
#endif
