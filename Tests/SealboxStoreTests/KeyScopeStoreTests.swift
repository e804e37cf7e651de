import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxStore

/// Keys, aliases and grants stored by account and region.
@Suite struct KeyScopeStoreTests {
    @Test(arguments: StoreBackend.available)
    func oneKeyIdInTwoScopesIsTwoKeysWithTheirOwnVersionsAndAliases(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let home = SQLiteStoreTests.key([1, 2], scope: .home)
        let replica = SQLiteStoreTests.key([1], id: home.record.id)
        try store.saveKey(home)
        try store.saveKey(replica)
        for key in [home, replica] {
            try store.saveAlias(
                AliasRecord(name: "alias/app", scope: key.record.scope, keyID: key.record.id, created: 1, updated: 1))
        }
        let loaded = Dictionary(uniqueKeysWithValues: try store.loadKeys().map { ($0.record.scope, $0.versions.count) })
        #expect(loaded == [.home: 2, SQLiteStoreTests.scope: 1])
        #expect(Set(try store.loadAliases().map(\.scope)) == [.home, SQLiteStoreTests.scope])
        try store.deleteKey(home.record.address)
        #expect(try store.loadKeys().map(\.record.scope) == [SQLiteStoreTests.scope])
        #expect(try store.loadAliases().map(\.scope) == [SQLiteStoreTests.scope])
    }

    @Test func aVersion8FileGivesItsKeysAliasesAndGrantsToTheHomeScope() throws {
        let path = SQLiteStoreTests.temporaryPath()
        let id = KeyID.random()
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator(home: .home).migrate(queue, upTo: "v8-kms-grants")
            try queue.write { db in
                let record =
                    #"{"id":"\#(id)","created":1,"description":"d","state":"Enabled","manager":"CUSTOMER","#
                    + #""rotationEnabled":false,"onDemandRotations":0,"policy":"{}","tags":[],"#
                    + #""spec":"SYMMETRIC_DEFAULT","usage":"ENCRYPT_DECRYPT"}"#
                try db.execute(
                    sql: "INSERT INTO kms_keys (id, record) VALUES (?, ?)", arguments: [id.description, record])
                try db.execute(
                    sql: "INSERT INTO kms_key_versions VALUES (?, 1, X'01', 1, 'CREATED')", arguments: [id.description])
                try db.execute(
                    sql: "INSERT INTO kms_aliases VALUES ('alias/app', ?, 1, 2)", arguments: [id.description])
                let grant =
                    #"{"id":"\#(String(repeating: "a", count: 64))","keyId":"\#(id)","created":1,"#
                    + #""grantee":"arn:aws:iam::123456789012:root","operations":["Decrypt"],"account":"123456789012"}"#
                try db.execute(
                    sql: "INSERT INTO kms_grants VALUES (?, ?, ?)",
                    arguments: [String(repeating: "a", count: 64), id.description, grant])
            }
        }
        let store = try SQLiteStore(path: path, home: SQLiteStoreTests.scope)
        let key = try #require(try store.loadKeys().first)
        #expect(key.record.address == KeyAddress(id, in: SQLiteStoreTests.scope))
        #expect(key.versions.map(\.wrappedMaterial) == [[1]])
        #expect(
            try store.loadAliases() == [
                AliasRecord(name: "alias/app", scope: SQLiteStoreTests.scope, keyID: id, created: 1, updated: 2)
            ])
        #expect(try store.loadGrants().map(\.key) == [KeyAddress(id, in: SQLiteStoreTests.scope)])
        #expect(try store.integrityCheck() == ["ok"])
    }
}
