import Foundation
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

@Suite struct SQLiteStoreTests {
    static func temporaryPath() -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-store-\(KeyID.random())")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("sealbox.db").path
    }

    static let scope = Scope(account: "111122223333", region: "eu-west-1")

    static func key(_ versions: [UInt32], id: KeyID = .random(), scope: Scope = scope) -> StoredKey {
        let record = KeyRecord(
            id: id, scope: scope, created: 1, description: "d", manager: .customer, policy: "{}", tags: [])
        return StoredKey(
            record: record,
            versions: versions.map {
                KeyVersionRecord(version: $0, wrappedMaterial: [UInt8($0)], created: Double($0), rotationType: .created)
            })
    }

    @Test func writesSurviveReopeningTheFile() throws {
        let path = Self.temporaryPath()
        let key = Self.key([1])
        do {
            let store = try SQLiteStore(path: path)
            try store.saveKey(key)
            try store.saveAlias(
                AliasRecord(name: "alias/x", scope: Self.scope, keyID: key.record.id, created: 1, updated: 2))
        }
        let reopened = try SQLiteStore(path: path)
        let keys = try reopened.loadKeys()
        #expect(keys.count == 1)
        #expect(keys[0].record.id == key.record.id)
        #expect(keys[0].record.scope == Self.scope)
        #expect(keys[0].versions == key.versions)
        #expect(
            try reopened.loadAliases() == [
                AliasRecord(name: "alias/x", scope: Self.scope, keyID: key.record.id, created: 1, updated: 2)
            ])
        #expect(try reopened.integrityCheck() == ["ok"])
    }

    @Test(arguments: StoreBackend.available)
    func savingAddsVersionsAndNeverRewritesThem(_ backend: StoreBackend) throws {
        let store = try backend.open()
        var key = Self.key([1])
        try store.saveKey(key)
        key.versions.append(KeyVersionRecord(version: 2, wrappedMaterial: [9], created: 2, rotationType: .onDemand))
        key.versions[0].wrappedMaterial = [0xff]
        key.record.description = "changed"
        try store.saveKey(key)
        let loaded = try #require(try store.loadKeys().first)
        #expect(loaded.record.description == "changed")
        #expect(loaded.versions.map(\.version) == [1, 2])
        #expect(loaded.versions[0].wrappedMaterial == [1])
        #expect(loaded.versions[1].rotationType == .onDemand)
    }

    @Test(arguments: StoreBackend.available)
    func deletingAKeyDeletesItsAliasesAndVersions(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let doomed = Self.key([1, 2])
        let kept = Self.key([1])
        try store.saveKey(doomed)
        try store.saveKey(kept)
        try store.saveAlias(
            AliasRecord(name: "alias/doomed", scope: Self.scope, keyID: doomed.record.id, created: 1, updated: 1))
        try store.saveAlias(
            AliasRecord(name: "alias/kept", scope: Self.scope, keyID: kept.record.id, created: 1, updated: 1))
        try store.deleteKey(doomed.record.address)
        #expect(try store.loadKeys().map(\.record.id) == [kept.record.id])
        #expect(try store.loadAliases().map(\.name) == ["alias/kept"])
        try store.deleteAlias(Scoped("alias/kept", in: Self.scope))
        #expect(try store.loadAliases().isEmpty)
    }

    @Test func theFileIsInWALMode() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteStore(path: path)
        try store.saveKey(Self.key([1]))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    static func grant(_ key: StoredKey, name: String? = nil) -> GrantRecord {
        GrantRecord(
            id: GrantRecord.newID(), key: key.record.address, name: name, created: 1.5,
            grantee: "arn:aws:iam::111122223333:role/app", retiring: "arn:aws:sts::111122223333:assumed-role/a/b",
            operations: [.decrypt, .generateDataKey], constraint: GrantConstraint(.equals, ["Department": "IT"]))
    }

    @Test func grantsSurviveReopeningTheFileWhole() throws {
        let path = Self.temporaryPath()
        let key = Self.key([1])
        let named = Self.grant(key, name: "deploy")
        let bare = GrantRecord(
            id: GrantRecord.newID(), key: key.record.address, name: nil, created: 2, grantee: "rds.amazonaws.com",
            retiring: nil, operations: [.describeKey], constraint: nil)
        do {
            let store = try SQLiteStore(path: path)
            try store.saveKey(key)
            try store.saveGrant(named)
            try store.saveGrant(bare)
        }
        let reopened = try SQLiteStore(path: path)
        #expect(Set(try reopened.loadGrants()) == [named, bare])
        try reopened.deleteGrant(named.id)
        try reopened.deleteGrant(named.id)
        #expect(try reopened.loadGrants() == [bare])
    }

    @Test(arguments: StoreBackend.available)
    func deletingAKeyDeletesItsGrantsOnly(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let doomed = Self.key([1])
        let kept = Self.key([1])
        try store.saveKey(doomed)
        try store.saveKey(kept)
        try store.saveGrant(Self.grant(doomed))
        try store.saveGrant(Self.grant(doomed))
        let survivor = Self.grant(kept)
        try store.saveGrant(survivor)
        try store.deleteKey(doomed.record.address)
        #expect(try store.loadGrants() == [survivor])
    }

    @Test(arguments: StoreBackend.available)
    func aGrantNeedsItsKeyAndAnUnusedId(_ backend: StoreBackend) throws {
        let store = try backend.open()
        let key = Self.key([1])
        #expect(throws: (any Error).self) { try store.saveGrant(Self.grant(key)) }
        try store.saveKey(key)
        let grant = Self.grant(key)
        try store.saveGrant(grant)
        #expect(throws: (any Error).self) { try store.saveGrant(grant) }
        #expect(try store.loadGrants() == [grant])
    }
}

@Suite struct RootKeyTests {
    static func directory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-root-\(KeyID.random())").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func generatesOnFirstStartWithMode0600ThenReloads() throws {
        let path = Self.directory() + "/root.key"
        let (key, created) = try RootKey.load(.file(path), createIfMissing: true)
        #expect(created)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let (again, createdAgain) = try RootKey.load(.file(path), createIfMissing: true)
        #expect(!createdAgain)
        #expect(again.constantTimeEquals(key))
    }

    @Test func refusesAKeyFileReadableByOthers() throws {
        let path = Self.directory() + "/root.key"
        _ = try RootKey.load(.file(path), createIfMissing: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        do {
            _ = try RootKey.load(.file(path), createIfMissing: false)
            Issue.record("a group-readable key file was accepted")
        } catch let error as SetupError {
            #expect(error.description.contains("readable by group or others"))
            #expect(error.description.contains("chmod 600"))
        }
    }

    @Test func readsEnvironmentAndCredentialSources() throws {
        let material = Base64.encode(SecureBytes.random(count: 32))
        let fromEnv = try RootKey.load(.environment("ROOT"), createIfMissing: false, environment: ["ROOT": material])
        #expect(Base64.encode(fromEnv.key) == material)
        let directory = Self.directory()
        #expect(FileManager.default.createFile(atPath: directory + "/root", contents: Data((material + "\n").utf8)))
        let fromCredential = try RootKey.load(
            .credential("root"), createIfMissing: false, environment: ["CREDENTIALS_DIRECTORY": directory])
        #expect(fromCredential.key.constantTimeEquals(fromEnv.key))
        #expect(throws: SetupError.self) {
            try RootKey.load(.environment("ROOT"), createIfMissing: false, environment: ["ROOT": "c2hvcnQ="])
        }
        #expect(throws: SetupError.self) {
            try RootKey.load(.credential("root"), createIfMissing: false, environment: [:])
        }
        #expect(RootKeySource("file:/x") == .file("/x"))
        #expect(RootKeySource("env:X") == .environment("X"))
        #expect(RootKeySource("credential:c") == .credential("c"))
        #expect(RootKeySource("vault:x") == nil)
    }
}
