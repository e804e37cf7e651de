import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxStore

@Suite struct ParameterStoreTests {
    static func version(_ number: Int, _ value: String, labels: [String] = []) -> ParameterVersionRecord {
        ParameterVersionRecord(
            name: "/test", version: number, type: .string, keyId: nil, description: "v\(number)", allowedPattern: nil,
            tier: "Standard", dataType: "text", modified: Double(number), modifiedBy: "uid:1000/pid:7",
            labels: labels, contextArn: nil, value: Array(value.utf8))
    }

    @Test(arguments: StoreBackend.available)
    func parametersComeBackGroupedSortedAndWithTheirTags(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let names = ["/b/two", "/a/one", "/c/three"]
        for (index, name) in names.enumerated() {
            let versions = (1...index + 1).map { Self.version($0, "\(name)#\($0)", labels: $0 == 1 ? ["first"] : []) }
            let tags = name == "/a/one" ? [KeyTag(key: "team", value: "core")] : []
            try store.apply(
                ParameterChange(
                    parameter: StoredParameter(name: name, scope: .home, tags: tags, versions: versions),
                    writtenVersions: versions.map(\.version)))
        }
        let loaded = try store.loadParameters()
        #expect(loaded.map(\.name) == ["/a/one", "/b/two", "/c/three"])
        #expect(loaded.map { $0.versions.map(\.version) } == [[1, 2], [1], [1, 2, 3]])
        #expect(
            loaded[2].versions.map { String(decoding: $0.value, as: UTF8.self) } == [
                "/c/three#1", "/c/three#2", "/c/three#3",
            ])
        #expect(loaded[0].tags == [KeyTag(key: "team", value: "core")])
        #expect(loaded[1].tags.isEmpty && loaded[2].tags.isEmpty)
        #expect(loaded[0].versions.map(\.labels) == [["first"], []])
        #expect(loaded[0].versions[1].description == "v2")
    }

    @Test(arguments: StoreBackend.available)
    func loadedVersionsShareEqualMetadataAndStayIndependentValues(_ backend: StoreBackend) throws {
        let store = try backend.open()
        // Alternating metadata, as String and SecureString parameters interleave in name order.
        let names = (10..<22).map { "/shared/p\($0)" }
        for (index, name) in names.enumerated() {
            var version = Self.version(1, name)
            version.description = index % 2 == 0 ? "even" : "odd"
            try store.apply(
                ParameterChange(
                    parameter: StoredParameter(name: name, scope: .home, tags: [], versions: [version]),
                    writtenVersions: [1]))
        }
        var loaded = try store.loadParameters().map { $0.versions[0] }
        #expect(loaded.count == 12)
        #expect(loaded[0].sharesMetadata(with: loaded[10]))
        #expect(loaded[1].sharesMetadata(with: loaded[11]))
        #expect(!loaded[0].sharesMetadata(with: loaded[1]))
        #expect(loaded.map(\.description) == (0..<12).map { $0 % 2 == 0 ? "even" : "odd" })

        loaded[0].labels.append("release")
        #expect(loaded[0].labels == ["release"])
        #expect(loaded[2].labels.isEmpty)
        #expect(!loaded[0].sharesMetadata(with: loaded[2]))
        #expect(loaded[2].sharesMetadata(with: loaded[4]))
        #expect(String(decoding: loaded[3].value, as: UTF8.self) == "/shared/p13")
    }

    @Test(arguments: StoreBackend.available)
    func contextArnsAreRebuiltFromTheNameAndSharePrefixes(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let prefix = "arn:aws:ssm:eu-west-1:123456789012:parameter/"
        // An ARN that is not the parameter's own binds nothing: such a value never opens.
        let arns: [String: String?] = [
            "/app/db": prefix + "app/db",
            "/app/key": prefix + "app/key",
            "plain": prefix + "plain",
            "/moved/here": nil,
            "/é": nil,
            "/x/db": nil,
            "/db": prefix + "db",
        ]
        let written = [
            "/moved/here": prefix + "moved/elsewhere", "/é": "é", "/x/db": prefix + "db",
            "/db": prefix + "db",
        ]
        for (name, arn) in arns {
            let version = ParameterVersionRecord(
                name: name, version: 1, type: .secureString, keyId: "alias/aws/ssm", description: nil,
                allowedPattern: nil, tier: "Standard", dataType: "text", modified: 1, modifiedBy: "uid:0",
                labels: [], contextArn: written[name] ?? arn, value: [1])
            #expect(version.contextArn(name: name) == arn)
            try store.apply(
                ParameterChange(
                    parameter: StoredParameter(name: name, scope: .home, tags: [], versions: [version]),
                    writtenVersions: [1]))
        }
        let loaded = Dictionary(uniqueKeysWithValues: try store.loadParameters().map { ($0.name, $0.versions[0]) })
        for (name, arn) in arns {
            #expect(loaded[name]?.contextArn(name: name) == arn)
            guard let arn else { continue }
            #expect(loaded[name]?.sealedIn?.region == "eu-west-1")
            #expect(loaded[name]?.sealedIn?.account == "123456789012")
            // A read's own ARN is taken when it is this one, and never when only its length matches.
            let readArn =
                "arn:aws:ssm:eu-west-1:123456789012:parameter/"
                + (name.hasPrefix("/") ? String(name.dropFirst()) : name)
            let sameLength =
                "arn:aws:ssm:us-west-1:123456789012:parameter/"
                + (name.hasPrefix("/") ? String(name.dropFirst()) : name)
            #expect(loaded[name]?.contextArn(name: name, candidate: readArn) == arn)
            #expect(loaded[name]?.contextArn(name: name, candidate: sameLength) == arn)
            // The same value under another name is bound to that name's ARN, never to this one.
            #expect(loaded[name]?.contextArn(name: "/other") == prefix + "other")
        }
        // Both end in their names, so their prefixes are equal and so is the rest of their metadata.
        #expect(try #require(loaded["/app/db"]).sharesMetadata(with: try #require(loaded["/app/key"])))
        #expect(!(try #require(loaded["/app/db"]).sharesMetadata(with: try #require(loaded["/moved/here"]))))
        #expect(Self.version(1, "text").contextArn(name: "/test") == nil)
    }

    @Test func aVersion6FileKeepsOnlyTheRegionAndAccountOfArnsThatAreTheRowsOwn() throws {
        let path = SQLiteStoreTests.temporaryPath()
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator(home: .home).migrate(queue, upTo: "v6-ssm-tagged")
            try queue.write { db in
                for (name, arn) in [
                    ("/app/db", "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"),
                    // A row whose value and context were copied from /app/db.
                    ("/app/copy", "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"),
                    ("/app/odd", "arn:aws:ssm:us-east-1:1234:parameter/app:parameter/app/odd"),
                ] {
                    try db.execute(sql: "INSERT INTO ssm_parameters (name, tags) VALUES (?, '[]')", arguments: [name])
                    try db.execute(
                        sql: """
                            INSERT INTO ssm_parameter_versions
                                (name, version, type, key_id, description, allowed_pattern, tier, data_type,
                                 modified, modified_by, labels, context_arn, value)
                            VALUES (?, 1, 'SecureString', 'alias/aws/ssm', NULL, NULL, 'Standard', 'text', 1,
                                    'uid:0', '[]', ?, X'0102')
                            """, arguments: [name, arn])
                }
            }
        }
        let store = try SQLiteStore(path: path)
        let loaded = Dictionary(uniqueKeysWithValues: try store.loadParameters().map { ($0.name, $0.versions[0]) })
        #expect(loaded["/app/db"]?.contextArn(name: "/app/db") == "arn:aws:ssm:us-east-1:123456789012:parameter/app/db")
        #expect(loaded["/app/copy"]?.type == .secureString)
        #expect(loaded["/app/copy"]?.contextArn(name: "/app/copy") == nil)
        #expect(loaded["/app/odd"]?.contextArn(name: "/app/odd") == nil)
        let columns = try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('ssm_parameter_versions')")
        }
        #expect(!columns.contains("context_arn"))
        #expect(try store.integrityCheck() == ["ok"])
    }

    @Test(arguments: StoreBackend.available)
    func typesNullsAndEmptyTextComeBackAsWrittenWhenRowsRepeatOrAlternate(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let types: [ParameterType] = [.string, .secureString, .secureString, .stringList, .string]
        // NULL and "" alternate in one column, and a value repeats after a different one, as the
        // loader reuses the previous row's text only when the bytes are the same.
        let descriptions: [String?] = [nil, "", "x", "x", nil]
        let keys: [String?] = [nil, "alias/aws/ssm", "alias/other", "alias/aws/ssm", nil]
        for index in types.indices {
            let name = "/mixed/p\(index)"
            let version = ParameterVersionRecord(
                name: name, version: 1, type: types[index], keyId: keys[index], description: descriptions[index],
                allowedPattern: index == 2 ? "" : nil, tier: index % 2 == 0 ? "Standard" : "Advanced",
                dataType: "text", modified: Double(index), modifiedBy: "uid:\(index / 2)", labels: [],
                contextArn: nil, value: Array(repeating: UInt8(index), count: index))
            try store.apply(
                ParameterChange(
                    parameter: StoredParameter(name: name, scope: .home, tags: [], versions: [version]),
                    writtenVersions: [1]))
        }
        let loaded = try store.loadParameters().map { $0.versions[0] }
        #expect(loaded.map(\.type) == types)
        #expect(loaded.map(\.description) == descriptions)
        #expect(loaded.map(\.keyId) == keys)
        #expect(loaded.map(\.allowedPattern) == [nil, nil, "", nil, nil])
        #expect(loaded.map(\.tier) == ["Standard", "Advanced", "Standard", "Advanced", "Standard"])
        #expect(loaded.map(\.modifiedBy) == ["uid:0", "uid:0", "uid:1", "uid:1", "uid:2"])
        #expect(loaded.map(\.modified) == [0, 1, 2, 3, 4])
        #expect(loaded.map(\.value) == types.indices.map { Array(repeating: UInt8($0), count: $0) })
    }

    @Test func startUpFindsTaggedParametersThroughTheirIndex() throws {
        let path = SQLiteStoreTests.temporaryPath()
        _ = try SQLiteStore(path: path)
        let plan = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteStore.taggedParametersQuery).map {
                $0["detail"] as String
            }
        }
        #expect(plan.contains { $0.contains("USING INDEX ssm_parameters_tagged") }, "plan: \(plan)")
    }

    @Test func aLargeFileStoreIsReadInTwoHalvesWithEveryParameterOnceInOrder() throws {
        let path = SQLiteStoreTests.temporaryPath()
        let count = SQLiteStore.parallelLoadThreshold + 11
        // Written in number order, which is not byte order ("/big/p10" sorts before "/big/p2"), in two
        // scopes: the load comes in the order of account, region and name.
        let names = (0..<count).map { "/big/p\($0)" }
        func scope(_ index: Int) -> Scope { index % 2 == 0 ? .home : SQLiteStoreTests.scope }
        let expected = names.enumerated().map { ParameterAddress($1, in: scope($0)) }.sorted {
            ($0.scope.account, $0.scope.region, $0.name) < ($1.scope.account, $1.scope.region, $1.name)
        }
        do {
            let store = try SQLiteStore(path: path)
            try store.apply(
                names.enumerated().map { index, name in
                    let versions = (1...(index % 3 == 0 ? 2 : 1)).map { Self.version($0, "\(name)#\($0)") }
                    let tags = index % 1000 == 0 ? [KeyTag(key: "n", value: name)] : []
                    return ParameterChange(
                        parameter: StoredParameter(name: name, scope: scope(index), tags: tags, versions: versions),
                        writtenVersions: versions.map(\.version))
                })
        }
        let store = try SQLiteStore(path: path)
        var reserved = 0
        var loaded: [StoredParameter] = []
        try store.loadParameters(reserve: { reserved = $0 }, { loaded.append($0) })
        #expect(reserved == count)
        // The index of the first misplaced name, rather than 10,000 names, when this fails.
        try #require(loaded.count == count)
        #expect(loaded.indices.first { loaded[$0].address != expected[$0] } == nil)
        let byName = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        for parameter in loaded {
            let index = byName[parameter.name]!
            #expect(parameter.versions.map(\.version) == (index % 3 == 0 ? [1, 2] : [1]))
            #expect(String(decoding: parameter.versions[0].value, as: UTF8.self) == "\(parameter.name)#1")
            #expect(parameter.tags == (index % 1000 == 0 ? [KeyTag(key: "n", value: parameter.name)] : []))
        }
    }

    @Test func aVersion3FileIsMigratedWithEveryFieldIntact() throws {
        let path = SQLiteStoreTests.temporaryPath()
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator(home: .home).migrate(queue, upTo: "v3-ssm-columns")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO ssm_parameters (name, tags) VALUES ('/app/db', '[]')")
                try db.execute(
                    sql: """
                        INSERT INTO ssm_parameter_versions
                            (name, version, record, type, key_id, description, allowed_pattern, tier, data_type,
                             modified, modified_by, labels, context_arn, value)
                        VALUES ('/app/db', 1, '', 'SecureString', 'alias/aws/ssm', 'the db', '^.+$', 'Advanced',
                                'text', 12.5, 'uid:1000/pid:7', '["live"]',
                                'arn:aws:ssm:us-east-1:123456789012:parameter/app/db', X'0102')
                        """)
            }
        }
        let store = try SQLiteStore(path: path)
        let loaded = try store.loadParameters()
        #expect(loaded.count == 1)
        let version = try #require(loaded.first?.versions.first)
        #expect(version.type == .secureString)
        #expect(version.keyId == "alias/aws/ssm")
        #expect(version.description == "the db")
        #expect(version.allowedPattern == "^.+$")
        #expect(version.tier == "Advanced")
        #expect(version.modified == 12.5)
        #expect(version.modifiedBy == "uid:1000/pid:7")
        #expect(version.labels == ["live"])
        #expect(version.contextArn(name: "/app/db") == "arn:aws:ssm:us-east-1:123456789012:parameter/app/db")
        #expect(version.value == [1, 2])
        #expect(try store.integrityCheck() == ["ok"])
    }
}
