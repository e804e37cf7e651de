// Built only with the PostgreSQL trait (Package.swift).
#if PostgreSQL
    import Foundation
    import NIOCore
    import PostgresNIO
    import SealboxCore
    import SealboxCrypto
    import SealboxStore

    // KMS keys, their versions, aliases and grants, by account and region.
    extension PostgresStore {
        public func loadKeys() throws -> [StoredKey] {
            try loadKeys(where: nil)
        }

        public func loadKey(_ address: KeyAddress) throws -> StoredKey? {
            try loadKeys(where: address).first
        }

        private func loadKeys(where address: KeyAddress?) throws -> [StoredKey] {
            let (id, account, region) = (address?.name.description, address?.scope.account, address?.scope.region)
            let filter = "(\(id == nil ? "TRUE" : "(key_id, account, region) = ($1, $2, $3)"))"
            var binds = PostgresBindings()
            if let id, let account, let region {
                binds.append(id)
                binds.append(account)
                binds.append(region)
            }
            var versions: [[String]: [KeyVersionRecord]] = [:]
            let versionRows = try read(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT key_id, account, region, version, wrapped, created, rotation_type FROM kms_key_versions
                        WHERE \(filter) ORDER BY key_id, account, region, version
                        """, binds: binds))
            for row in versionRows {
                let (keyID, account, region, version, wrapped, created, type) = try row.decode(
                    (String, String, String, Int64, ByteBuffer, Double, String).self)
                versions[[keyID, account, region], default: []].append(
                    KeyVersionRecord(
                        version: UInt32(version), wrappedMaterial: Array(wrapped.readableBytesView), created: created,
                        rotationType: RotationType(rawValue: type) ?? .created))
            }
            let decoder = JSONDecoder()
            let keyRows = try read(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT id, account, region, record FROM kms_keys WHERE \(filter.replacingOccurrences(of: "key_id", with: "id"))",
                    binds: binds))
            return try keyRows.map { row in
                let (id, account, region, record) = try row.decode((String, String, String, String).self)
                return StoredKey(
                    record: try decoder.decode(KeyRecord.self, from: Data(record.utf8)),
                    versions: versions[[id, account, region]] ?? [])
            }
        }

        public func loadAliases() throws -> [AliasRecord] {
            try read("SELECT account, region, name, key_id, created, updated FROM kms_aliases").compactMap { row in
                let (account, region, name, keyID, created, updated) = try row.decode(
                    (String, String, String, String, Double, Double).self)
                guard let id = KeyID(keyID) else { return nil }
                return AliasRecord(
                    name: name, scope: Scope(account: account, region: region), keyID: id, created: created,
                    updated: updated)
            }
        }

        public func loadGrants() throws -> [GrantRecord] {
            let decoder = JSONDecoder()
            return try read("SELECT record FROM kms_grants").map { row in
                try decoder.decode(GrantRecord.self, from: Data(try row.decode(String.self).utf8))
            }
        }

        public func saveGrant(_ grant: GrantRecord) throws {
            let record = String(decoding: try JSONEncoder().encode(grant), as: UTF8.self)
            try write([.grants(grant.key)]) { connection in
                try Self.run(
                    connection,
                    """
                    INSERT INTO kms_grants (id, key_id, account, region, record)
                    VALUES (\(grant.id), \(grant.keyID.description), \(grant.key.scope.account), \(grant.key.scope.region),
                            \(record))
                    """, logger)
            }
        }

        public func deleteGrant(_ id: String) throws {
            let owner = try read("SELECT key_id, account, region FROM kms_grants WHERE id = \(id)").first.flatMap {
                row in
                let (keyID, account, region) = try row.decode((String, String, String).self)
                return KeyID(keyID).map { KeyAddress($0, in: Scope(account: account, region: region)) }
            }
            guard let owner else { return }
            try write([.grants(owner)]) { connection in
                try Self.run(connection, "DELETE FROM kms_grants WHERE id = \(id)", logger)
            }
        }

        public func saveKeys(_ keys: [StoredKey]) throws {
            let encoder = JSONEncoder()
            let records = try keys.map { String(decoding: try encoder.encode($0.record), as: UTF8.self) }
            try write(keys.map { .key($0.record.address) }) { connection in
                for (key, record) in zip(keys, records) { try save(key, record: record, connection) }
            }
        }

        private func save(_ key: StoredKey, record: String, _ connection: PostgresConnection) throws {
            let (id, account, region) = (key.record.id.description, key.record.scope.account, key.record.scope.region)
            try Self.run(
                connection,
                """
                INSERT INTO kms_keys (id, account, region, record) VALUES (\(id), \(account), \(region), \(record))
                ON CONFLICT (id, account, region) DO UPDATE SET record = excluded.record
                """, logger)
            // Versions the key no longer has (deleted imported material) go with this change.
            try Self.run(
                connection,
                """
                DELETE FROM kms_key_versions
                WHERE key_id = \(id) AND account = \(account) AND region = \(region)
                  AND version <> ALL(\(key.versions.map { Int64($0.version) }))
                """, logger)
            for version in key.versions {
                try Self.run(
                    connection,
                    """
                    INSERT INTO kms_key_versions (key_id, account, region, version, wrapped, created, rotation_type)
                    VALUES (\(id), \(account), \(region), \(Int64(version.version)),
                            \(ByteBuffer(bytes: version.wrappedMaterial)), \(version.created),
                            \(version.rotationType.rawValue))
                    ON CONFLICT DO NOTHING
                    """, logger)
            }
        }

        public func deleteKey(_ address: KeyAddress) throws {
            let (id, account, region) = (address.name.description, address.scope.account, address.scope.region)
            let aliases = try read(
                "SELECT name FROM kms_aliases WHERE key_id = \(id) AND account = \(account) AND region = \(region)"
            ).map { StoreChange.alias(Scoped(try $0.decode(String.self), in: address.scope)) }
            try write([.key(address), .grants(address)] + aliases) { connection in
                // Versions, aliases and grants go by cascade.
                try Self.run(
                    connection, "DELETE FROM kms_keys WHERE id = \(id) AND account = \(account) AND region = \(region)",
                    logger)
            }
        }

        public func saveAlias(_ alias: AliasRecord) throws {
            try write([.alias(alias.address)]) { connection in
                try Self.run(
                    connection,
                    """
                    INSERT INTO kms_aliases (account, region, name, key_id, created, updated)
                    VALUES (\(alias.scope.account), \(alias.scope.region), \(alias.name), \(alias.keyID.description),
                            \(alias.created), \(alias.updated))
                    ON CONFLICT (account, region, name) DO UPDATE SET key_id = excluded.key_id, updated = excluded.updated
                    """, logger)
            }
        }

        public func deleteAlias(_ address: Scoped<String>) throws {
            try write([.alias(address)]) { connection in
                try Self.run(
                    connection,
                    """
                    DELETE FROM kms_aliases
                    WHERE account = \(address.scope.account) AND region = \(address.scope.region) AND name = \(address.name)
                    """, logger)
            }
        }
    }
#endif
