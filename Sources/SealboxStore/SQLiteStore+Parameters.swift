import Foundation
import GRDB
import SealboxCore
import SealboxCrypto

// SSM parameters with their versions, tags and resource policies, and the service settings.
extension SQLiteStore {
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
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM ssm_parameters") ?? 0
            let extras = try Self.extras(db)
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

    public func loadParameter(_ address: ParameterAddress) throws -> StoredParameter? {
        var found: StoredParameter?
        try database.read { db in
            let extras = try Self.extras(db)
            try Self.readParameters(db, extras: extras, only: address) { found = $0 }
        }
        return found
    }

    /// What the few parameters that have them carry besides their versions.
    private struct Extras {
        var tags: [ParameterAddress: [KeyTag]]
        var shared: [ParameterAddress: [ParameterResourcePolicy]]
    }

    private static func extras(_ db: Database) throws -> Extras {
        var tags: [ParameterAddress: [KeyTag]] = [:]
        for row in try Row.fetchAll(db, sql: Self.taggedParametersQuery) {
            let address = ParameterAddress(row[2], in: Scope(account: row[0], region: row[1]))
            tags[address] = try JSONDecoder().decode([KeyTag].self, from: Data((row[3] as String).utf8))
        }
        var shared: [ParameterAddress: [ParameterResourcePolicy]] = [:]
        for row in try Row.fetchAll(db, sql: Self.sharedParametersQuery) {
            let address = ParameterAddress(row[2], in: Scope(account: row[0], region: row[1]))
            shared[address] = try JSONDecoder().decode(
                [ParameterResourcePolicy].self, from: Data((row[3] as String).utf8))
        }
        return Extras(tags: tags, shared: shared)
    }

    /// The parameters with addresses in `from..<below` (either end open when nil), or only the one
    /// at `only`, in the order of account, region and name.
    private static func readParameters(
        _ db: Database, extras: Extras, below: ParameterAddress? = nil, from: ParameterAddress? = nil,
        only: ParameterAddress? = nil, _ body: (StoredParameter) throws -> Void
    ) throws {
        var current: StoredParameter? = nil
        var pool = ParameterMetadataPool()
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let only {
            conditions.append("(account, region, name) = (?, ?, ?)")
            arguments += [only.scope.account, only.scope.region, only.name]
        }
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
