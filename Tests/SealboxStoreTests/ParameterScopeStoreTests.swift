import Foundation
import GRDB
import SealboxCore
import Testing

@testable import SealboxStore

/// Parameters stored by account and region.
@Suite struct ParameterScopeStoreTests {
    static func parameter(_ name: String, _ value: String, in scope: Scope) -> StoredParameter {
        let version = ParameterVersionRecord(
            name: name, version: 1, type: .string, keyId: nil, description: nil, allowedPattern: nil,
            tier: "Standard", dataType: "text", modified: 1, modifiedBy: "t", labels: [], contextArn: nil,
            value: Array(value.utf8))
        return StoredParameter(name: name, scope: scope, tags: [KeyTag(key: "k", value: value)], versions: [version])
    }

    @Test(arguments: StoreBackend.available)
    func oneNameInTwoScopesIsTwoParameters(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let elsewhere = SQLiteStoreTests.scope
        for (scope, value) in [(Scope.home, "home"), (elsewhere, "away")] {
            try store.apply(
                ParameterChange(parameter: Self.parameter("/app/db", value, in: scope), writtenVersions: [1]))
        }
        let loaded = try store.loadParameters()
        #expect(
            loaded.map(\.address)
                == [ParameterAddress("/app/db", in: .home), ParameterAddress("/app/db", in: elsewhere)].sorted {
                    ($0.scope.account, $0.scope.region) < ($1.scope.account, $1.scope.region)
                })
        #expect(Set(loaded.map { String(decoding: $0.versions[0].value, as: UTF8.self) }) == ["home", "away"])
        #expect(Set(loaded.map { $0.tags[0].value }) == ["home", "away"])
        try store.apply(
            ParameterChange(parameter: nil, writtenVersions: [], deleted: [ParameterAddress("/app/db", in: .home)]))
        #expect(try store.loadParameters().map(\.scope) == [elsewhere])
    }

    @Test func aVersion11FileGivesItsParametersToTheHomeScopeAndPublicOnesToNoAccount() throws {
        let path = SQLiteStoreTests.temporaryPath()
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator(home: .home).migrate(queue, upTo: "v11-ssm-parameter-policies")
            try queue.write { db in
                for name in ["/app/db", "/aws/service/ami", "/AWS/service/x"] {
                    try db.execute(
                        sql: "INSERT INTO ssm_parameters VALUES (?, '[{\"key\":\"t\",\"value\":\"v\"}]')",
                        arguments: [name])
                    try db.execute(
                        sql: """
                            INSERT INTO ssm_parameter_versions
                                (name, version, type, tier, data_type, modified, modified_by, labels, value)
                            VALUES (?, 1, 'String', 'Standard', 'text', 1, 't', '[]', X'76')
                            """, arguments: [name])
                }
            }
        }
        let store = try SQLiteStore(path: path, home: SQLiteStoreTests.scope)
        let loaded = Dictionary(uniqueKeysWithValues: try store.loadParameters().map { ($0.name, $0) })
        #expect(loaded["/app/db"]?.scope == SQLiteStoreTests.scope)
        #expect(loaded["/AWS/service/x"]?.scope == SQLiteStoreTests.scope)
        #expect(loaded["/aws/service/ami"]?.scope == Scope(account: "", region: SQLiteStoreTests.scope.region))
        #expect(loaded["/app/db"]?.tags == [KeyTag(key: "t", value: "v")])
        #expect(loaded["/app/db"]?.versions.first?.value == Array("v".utf8))
    }
}
