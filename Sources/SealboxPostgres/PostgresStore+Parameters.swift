// Built only with the PostgreSQL trait (Package.swift).
#if PostgreSQL
    import Foundation
    import Logging
    import NIOCore
    import PostgresNIO
    import SealboxCore
    import SealboxCrypto
    import SealboxStore

    // SSM parameters with their versions, tags and resource policies, and the service settings.
    extension PostgresStore {
        public func loadServiceSettings() throws -> [ServiceSettingRecord] {
            try read("SELECT account, region, setting_id, value, modified, modified_by FROM ssm_service_settings")
                .compactMap { row in
                    let (account, region, id, value, modified, modifiedBy) = try row.decode(
                        (String, String, String, String, Double, String).self)
                    // A row of a setting this build does not know is left in the database, unread.
                    guard let setting = ServiceSetting(rawValue: id) else { return nil }
                    return ServiceSettingRecord(
                        scope: Scope(account: account, region: region), setting: setting, value: value,
                        modified: modified,
                        modifiedBy: modifiedBy)
                }
        }

        public func saveServiceSetting(_ record: ServiceSettingRecord) throws {
            try write([.serviceSetting(record.address)]) { connection in
                try Self.run(
                    connection,
                    """
                    INSERT INTO ssm_service_settings (account, region, setting_id, value, modified, modified_by)
                    VALUES (\(record.scope.account), \(record.scope.region), \(record.setting.rawValue), \(record.value),
                            \(record.modified), \(record.modifiedBy))
                    ON CONFLICT (account, region, setting_id)
                    DO UPDATE SET value = excluded.value, modified = excluded.modified, modified_by = excluded.modified_by
                    """, logger)
            }
        }

        public func deleteServiceSetting(_ address: Scoped<String>) throws {
            try write([.serviceSetting(address)]) { connection in
                try Self.run(
                    connection,
                    """
                    DELETE FROM ssm_service_settings
                    WHERE account = \(address.scope.account) AND region = \(address.scope.region)
                      AND setting_id = \(address.name)
                    """, logger)
            }
        }

        public func loadParameters(reserve: (Int) -> Void, _ body: (StoredParameter) throws -> Void) throws {
            let count = try read("SELECT count(*)::int8 FROM ssm_parameters").first?.decode(Int64.self) ?? 0
            reserve(Int(count))
            try readParameters(nil, body)
        }

        public func loadParameter(_ address: ParameterAddress) throws -> StoredParameter? {
            var found: StoredParameter?
            try readParameters(address) { found = $0 }
            return found
        }

        /// Every parameter, or the one at `address`, in the order of account, region and name.
        private func readParameters(_ address: ParameterAddress?, _ body: (StoredParameter) throws -> Void) throws {
            var binds = PostgresBindings()
            var filter = ""
            if let address {
                binds.append(address.scope.account)
                binds.append(address.scope.region)
                binds.append(address.name)
                filter = "WHERE (account, region, name) = ($1, $2, $3)"
            }
            let extraRows = try read(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT account, region, name, tags, resource_policies FROM ssm_parameters
                        \(filter.isEmpty ? "WHERE" : filter + " AND") (tags <> '[]' OR resource_policies IS NOT NULL)
                        """, binds: binds))
            var tags: [ParameterAddress: [KeyTag]] = [:]
            var shared: [ParameterAddress: [ParameterResourcePolicy]] = [:]
            let decoder = JSONDecoder()
            for row in extraRows {
                let (account, region, name, tagText, policies) = try row.decode(
                    (String, String, String, String, String?).self)
                let address = ParameterAddress(name, in: Scope(account: account, region: region))
                if tagText != "[]" { tags[address] = try decoder.decode([KeyTag].self, from: Data(tagText.utf8)) }
                if let policies {
                    shared[address] = try decoder.decode([ParameterResourcePolicy].self, from: Data(policies.utf8))
                }
            }
            let rows = try read(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT name, version, type, key_id, description, allowed_pattern, tier, data_type, modified,
                               modified_by, labels, sealed_region, sealed_account, value, policies, account, region
                        FROM ssm_parameter_versions \(filter)
                        ORDER BY account COLLATE "C", region COLLATE "C", name, version
                        """, binds: binds))
            var pool = ParameterMetadataPool()
            var current: StoredParameter? = nil
            for row in rows {
                let (name, number, typeText, keyId, description, pattern, tier, dataType, modified, modifiedBy) =
                    try row.decode(
                        (String, Int64, String, String?, String?, String?, String, String, Double, String).self)
                let cells = row.makeRandomAccess()
                let labels = try cells[10].decode(String.self)
                let (sealedRegion, sealedAccount) = (
                    try cells[11].decode(String?.self), try cells[12].decode(String?.self)
                )
                let value = try cells[13].decode(ByteBuffer.self)
                let policies = try cells[14].decode(String?.self)
                let scope = Scope(account: try cells[15].decode(String.self), region: try cells[16].decode(String.self))
                let metadata = ParameterMetadata(
                    keyId: keyId, description: description, allowedPattern: pattern, tier: tier, dataType: dataType,
                    modifiedBy: modifiedBy,
                    labels: labels == "[]" ? [] : try decoder.decode([String].self, from: Data(labels.utf8)),
                    policies: try policies.map { try decoder.decode([ParameterPolicy].self, from: Data($0.utf8)) } ?? []
                )
                let type = ParameterType(rawValue: typeText) ?? .string
                let version: ParameterVersionRecord
                if let sealedRegion, let sealedAccount {
                    version = Array(sealedRegion.utf8).withUnsafeBytes { region in
                        Array(sealedAccount.utf8).withUnsafeBytes { account in
                            ParameterVersionRecord(
                                name: name, version: Int(number), type: type, metadata: metadata, modified: modified,
                                sealedIn: (region, account), value: Array(value.readableBytesView), pool: &pool)
                        }
                    }
                } else {
                    version = ParameterVersionRecord(
                        name: name, version: Int(number), type: type, metadata: metadata, modified: modified,
                        sealedIn: nil, value: Array(value.readableBytesView), pool: &pool)
                }
                if current?.name == name, current?.scope == scope {
                    current?.versions.append(version)
                } else {
                    if let done = current { try body(done) }
                    let address = ParameterAddress(name, in: scope)
                    current = StoredParameter(
                        name: name, scope: scope, tags: tags[address] ?? [], versions: ParameterVersions(version),
                        resourcePolicies: shared[address] ?? [])
                }
            }
            if let done = current { try body(done) }
        }

        public func apply(_ change: ParameterChange) throws {
            try apply([change])
        }

        public func apply(_ changes: [ParameterChange]) throws {
            // A group of puts is a few statements whatever its size: each round trip to the server is
            // paid once per group, not once per put. A deletion keeps the order of its group's changes.
            guard changes.count > 1, changes.allSatisfy({ $0.deleted.isEmpty }) else {
                return try write(
                    changes, touching: { ($0.parameter.map { [$0.address] } ?? []) + $0.deleted },
                    as: StoreChange.parameter, apply)
            }
            let rows = try ParameterRows(changes)
            try write(rows.touched.map(StoreChange.parameter)) { connection in try rows.write(connection, logger) }
        }

        private func apply(_ change: ParameterChange, _ connection: PostgresConnection) throws {
            func json(_ list: [some Encodable]) throws -> String {
                list.isEmpty ? "[]" : String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
            }
            if let parameter = change.parameter {
                let (account, region, name) = (parameter.scope.account, parameter.scope.region, parameter.name)
                let shared = parameter.resourcePolicies.isEmpty ? nil : try json(parameter.resourcePolicies)
                try Self.run(
                    connection,
                    """
                    INSERT INTO ssm_parameters (account, region, name, tags, resource_policies)
                    VALUES (\(account), \(region), \(name), \(try json(parameter.tags)), \(shared))
                    ON CONFLICT (account, region, name)
                    DO UPDATE SET tags = excluded.tags, resource_policies = excluded.resource_policies
                    """, logger)
                for version in parameter.versions where change.writtenVersions.contains(version.version) {
                    let policies = version.policies.isEmpty ? nil : try json(version.policies)
                    try Self.run(
                        connection,
                        """
                        INSERT INTO ssm_parameter_versions
                            (account, region, name, version, type, key_id, description, allowed_pattern, tier, data_type,
                             modified, modified_by, labels, sealed_region, sealed_account, value, policies)
                        VALUES (\(account), \(region), \(name), \(Int64(version.version)), \(version.type.rawValue),
                                \(version.keyId), \(version.description), \(version.allowedPattern), \(version.tier),
                                \(version.dataType), \(version.modified), \(version.modifiedBy), \(try json(version.labels)),
                                \(version.sealedIn?.region), \(version.sealedIn?.account), \(ByteBuffer(bytes: version.value)),
                                \(policies))
                        ON CONFLICT (account, region, name, version) DO UPDATE SET
                            type = excluded.type, key_id = excluded.key_id, description = excluded.description,
                            allowed_pattern = excluded.allowed_pattern, tier = excluded.tier,
                            data_type = excluded.data_type, modified = excluded.modified,
                            modified_by = excluded.modified_by, labels = excluded.labels,
                            sealed_region = excluded.sealed_region, sealed_account = excluded.sealed_account,
                            value = excluded.value, policies = excluded.policies
                        """, logger)
                }
                if !change.removedVersions.isEmpty {
                    try Self.run(
                        connection,
                        """
                        DELETE FROM ssm_parameter_versions
                        WHERE account = \(account) AND region = \(region) AND name = \(name)
                          AND version = ANY(\(change.removedVersions.map { Int64($0) }))
                        """, logger)
                }
            }
            for address in change.deleted {
                // Versions go by cascade.
                try Self.run(
                    connection,
                    """
                    DELETE FROM ssm_parameters
                    WHERE account = \(address.scope.account) AND region = \(address.scope.region) AND name = \(address.name)
                    """, logger)
            }
        }
    }

    /// A group of puts as columns, each written by one statement through `unnest`; a later change
    /// of the same parameter or version wins, as it would one statement at a time.
    struct ParameterRows {
        private var parameters: [ParameterAddress: (tags: String, shared: String?)] = [:]
        private var versions:
            [[String]: (
                address: ParameterAddress, version: ParameterVersionRecord, policies: String?,
                labels: String
            )] = [:]
        private var removed: [(address: ParameterAddress, versions: [Int64])] = []
        private(set) var touched: [ParameterAddress] = []

        init(_ changes: [ParameterChange]) throws {
            func json(_ list: [some Encodable]) throws -> String {
                list.isEmpty ? "[]" : String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
            }
            for change in changes {
                guard let parameter = change.parameter else { continue }
                let address = parameter.address
                touched.append(address)
                parameters[address] = (
                    try json(parameter.tags),
                    parameter.resourcePolicies.isEmpty ? nil : try json(parameter.resourcePolicies)
                )
                for version in parameter.versions where change.writtenVersions.contains(version.version) {
                    versions[[address.scope.account, address.scope.region, address.name, String(version.version)]] = (
                        address, version, version.policies.isEmpty ? nil : try json(version.policies),
                        try json(version.labels)
                    )
                }
                if !change.removedVersions.isEmpty {
                    removed.append((address, change.removedVersions.map { Int64($0) }))
                }
            }
        }

        func write(_ connection: PostgresConnection, _ logger: Logger) throws {
            let parameters = Array(parameters)
            _ = try PostgresSession.run(
                connection,
                """
                INSERT INTO ssm_parameters (account, region, name, tags, resource_policies)
                SELECT a, r, n, t, CASE WHEN pn THEN NULL ELSE p END
                FROM unnest(\(parameters.map(\.key.scope.account)), \(parameters.map(\.key.scope.region)),
                            \(parameters.map(\.key.name)), \(parameters.map(\.value.tags)),
                            \(parameters.map { $0.value.shared ?? "" }), \(parameters.map { $0.value.shared == nil }))
                     AS u(a, r, n, t, p, pn)
                ON CONFLICT (account, region, name)
                DO UPDATE SET tags = excluded.tags, resource_policies = excluded.resource_policies
                """, logger)
            let rows = Array(versions.values)
            if !rows.isEmpty {
                func text(_ column: (ParameterVersionRecord) -> String?) -> ([String], [Bool]) {
                    (rows.map { column($0.version) ?? "" }, rows.map { column($0.version) == nil })
                }
                let (keyIds, noKeyId) = text(\.keyId)
                let (descriptions, noDescription) = text(\.description)
                let (patterns, noPattern) = text(\.allowedPattern)
                let (sealedRegions, noSealedRegion) = text { $0.sealedIn?.region }
                let (sealedAccounts, noSealedAccount) = text { $0.sealedIn?.account }
                _ = try PostgresSession.run(
                    connection,
                    """
                    INSERT INTO ssm_parameter_versions
                        (account, region, name, version, type, key_id, description, allowed_pattern, tier, data_type,
                         modified, modified_by, labels, sealed_region, sealed_account, value, policies)
                    SELECT a, r, n, v, ty, CASE WHEN k0 THEN NULL ELSE k END, CASE WHEN d0 THEN NULL ELSE d END,
                           CASE WHEN ap0 THEN NULL ELSE ap END, ti, dt, m, mb, l, CASE WHEN sr0 THEN NULL ELSE sr END,
                           CASE WHEN sa0 THEN NULL ELSE sa END, val, CASE WHEN po0 THEN NULL ELSE po END
                    FROM unnest(
                        \(rows.map(\.address.scope.account)), \(rows.map(\.address.scope.region)),
                        \(rows.map(\.address.name)), \(rows.map { Int64($0.version.version) }),
                        \(rows.map(\.version.type.rawValue)), \(keyIds), \(noKeyId), \(descriptions), \(noDescription),
                        \(patterns), \(noPattern), \(rows.map(\.version.tier)), \(rows.map(\.version.dataType)),
                        \(rows.map(\.version.modified)), \(rows.map(\.version.modifiedBy)), \(rows.map(\.labels)),
                        \(sealedRegions), \(noSealedRegion), \(sealedAccounts), \(noSealedAccount),
                        \(rows.map { ByteBuffer(bytes: $0.version.value) }), \(rows.map { $0.policies ?? "" }),
                        \(rows.map { $0.policies == nil }))
                    AS u(a, r, n, v, ty, k, k0, d, d0, ap, ap0, ti, dt, m, mb, l, sr, sr0, sa, sa0, val, po, po0)
                    ON CONFLICT (account, region, name, version) DO UPDATE SET
                        type = excluded.type, key_id = excluded.key_id, description = excluded.description,
                        allowed_pattern = excluded.allowed_pattern, tier = excluded.tier,
                        data_type = excluded.data_type, modified = excluded.modified,
                        modified_by = excluded.modified_by, labels = excluded.labels,
                        sealed_region = excluded.sealed_region, sealed_account = excluded.sealed_account,
                        value = excluded.value, policies = excluded.policies
                    """, logger)
            }
            for (address, numbers) in removed {
                _ = try PostgresSession.run(
                    connection,
                    """
                    DELETE FROM ssm_parameter_versions
                    WHERE account = \(address.scope.account) AND region = \(address.scope.region)
                      AND name = \(address.name) AND version = ANY(\(numbers))
                    """, logger)
            }
        }
    }
#endif
