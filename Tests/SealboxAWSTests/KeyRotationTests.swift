import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// Rewrap, retirement and root key rotation on a real (in-memory or file) SQLite store.
@Suite struct KeyRotationTests {
    static func wrappingVersions(_ harness: SSMHarness, _ names: [String]) throws -> [UInt32] {
        let stored = try harness.kmsHarness.store.loadParameters()
        return names.compactMap { name in
            stored.first { $0.name == name }.flatMap {
                harness.kmsHarness.kms.wrappingVersion(of: $0.versions.last!.value)?.version
            }
        }
    }

    @Test func rewrapMovesEveryDataKeyToTheNewestVersionInBatches() throws {
        let harness = try SSMHarness()
        let key = try harness.kmsHarness.createKey()
        let names = (0..<7).map { "/app/secret\($0)" }
        for name in names { try harness.put(name, "value of \(name)", type: "SecureString", extra: ["KeyId": key]) }
        try harness.put("/app/plain", "not secret")
        _ = try harness.kmsHarness.ok("RotateKeyOnDemand", ["KeyId": key])
        #expect(try Self.wrappingVersions(harness, names) == Array(repeating: 1, count: 7))

        let first = try harness.ssm.rewrap(key: key, limit: 3, context: harness.context)
        #expect(first.rewrapped == 3 && first.remaining == 4 && first.failed.isEmpty)
        // Durable per batch: the store already holds the three.
        #expect(try Self.wrappingVersions(harness, names).filter { $0 == 2 }.count == 3)
        let second = try harness.ssm.rewrap(key: key, limit: 100, context: harness.context)
        #expect(second.rewrapped == 4 && second.remaining == 0)
        #expect(try Self.wrappingVersions(harness, names) == Array(repeating: 2, count: 7))
        #expect(try harness.ssm.rewrap(key: key, limit: 100, context: harness.context).rewrapped == 0)
        for name in names { #expect(try harness.value(name) == "value of \(name)") }
    }

    @Test func retirementIsRefusedWhileDataKeysNeedTheVersionThenEnforced() throws {
        let harness = try SSMHarness()
        let kms = harness.kmsHarness
        let key = try kms.createKey()
        try harness.put("/app/db", "pw", type: "SecureString", extra: ["KeyId": key])
        let before = try kms.encrypt(key, "held outside")
        _ = try kms.ok("RotateKeyOnDemand", ["KeyId": key])
        let after = try kms.encrypt(key, "new")

        expectError(.invalidState) {
            try kms.kms.retire(key, below: 2, stillNeeded: harness.ssm.dataKeys(of:below:), context: harness.context)
        }
        #expect(try kms.decrypt(before) == "held outside")
        _ = try harness.ssm.rewrap(key: key, limit: 100, context: harness.context)
        _ = try kms.kms.retire(key, below: 2, stillNeeded: harness.ssm.dataKeys(of:below:), context: harness.context)

        #expect(try harness.value("/app/db") == "pw")
        #expect(try kms.decrypt(after) == "new")
        #expect(kms.error("Decrypt", ["CiphertextBlob": before])?.type == "KMSInvalidStateException")
        // The floor survives a reload from the store, and cannot be lowered.
        let reloaded = try KMS(store: kms.store, rootKey: kms.root, clock: kms.clock)
        expectError(.validation) {
            try reloaded.retire(key, below: 1, stillNeeded: { _, _ in 0 }, context: harness.context)
        }
        expectError(.validation) {
            try reloaded.retire(key, below: 3, stillNeeded: { _, _ in 0 }, context: harness.context)
        }
    }

    @Test func rootRotationRewrapsEverythingAndKeepsTheAuditKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("root-\(KeyID.random()).db").path
        let oldRoot = SecureBytes.random(count: 32)
        let newRoot = SecureBytes.random(count: 32)
        let context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .anonymous)
        var blob: [UInt8] = []
        var auditKey: [UInt8] = []
        do {
            let kms = try KMS(store: try SQLiteStore(path: path), rootKey: oldRoot)
            auditKey = try kms.auditKey().withUnsafeBytes(Array.init)
            let key = try callOperation(KMS.operations["CreateKey"]!, on: kms, [:], context: context).get()
            let id = (key["KeyMetadata"] as! [String: Any])["KeyId"] as! String
            let encrypted = try callOperation(
                KMS.operations["Encrypt"]!, on: kms, ["KeyId": id, "Plaintext": Base64.encode(Array("v".utf8))],
                context: context
            ).get()
            blob = try Base64.decode(Array((encrypted["CiphertextBlob"] as! String).utf8))
            var staged = false
            let count = try kms.rotateRoot(to: newRoot, stage: { staged = true }, promote: {})
            #expect(staged && count == 1)
            // Still serving with the new key in memory.
            #expect(
                try kms.decrypt(blob, encryptionContext: EncryptionContext([:]), expectedKey: nil, context: context)
                    .plaintext.withUnsafeBytes(Array.init) == Array("v".utf8))
        }
        #expect(throws: (any Error).self) { try KMS(store: try SQLiteStore(path: path), rootKey: oldRoot) }
        let reopened = try KMS(store: try SQLiteStore(path: path), rootKey: newRoot)
        #expect(try reopened.auditKey().withUnsafeBytes(Array.init) == auditKey)
        #expect(
            try reopened.decrypt(blob, encryptionContext: EncryptionContext([:]), expectedKey: nil, context: context)
                .plaintext.withUnsafeBytes(Array.init) == Array("v".utf8))
    }

    @Test func aRotationThatFailsBeforeItsTransactionLeavesTheOldKeyValid() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("root-\(KeyID.random()).db").path
        let oldRoot = SecureBytes.random(count: 32)
        let context = RequestContext(region: "us-east-1", accountID: "123456789012", principal: .anonymous)
        do {
            let kms = try KMS(store: try SQLiteStore(path: path), rootKey: oldRoot)
            _ = try kms.auditKey()
            _ = try callOperation(KMS.operations["CreateKey"]!, on: kms, [:], context: context).get()
            struct Crash: Error {}
            #expect(throws: Crash.self) {
                try kms.rotateRoot(to: .random(count: 32), stage: { throw Crash() }, promote: {})
            }
        }
        _ = try KMS(store: try SQLiteStore(path: path), rootKey: oldRoot)
    }

    @Test func aStoreWithNoKeysStillRefusesTheWrongRootKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("root-\(KeyID.random()).db").path
        _ = try KMS(store: try SQLiteStore(path: path), rootKey: .random(count: 32)).auditKey()
        #expect(throws: (any Error).self) { try KMS(store: try SQLiteStore(path: path), rootKey: .random(count: 32)) }
    }

    @Test func rootKeyCandidateFilesAreStagedPromotedAndDiscarded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rootfile-\(KeyID.random())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("root.key").path
        let (old, created) = try RootKey.load(.file(path), createIfMissing: true)
        #expect(created)
        let next = SecureBytes.random(count: 32)
        try RootKey.stageCandidate(next, for: path)
        #expect(RootKey.loadCandidate(for: path)?.constantTimeEquals(next.withUnsafeBytes(Array.init)) == true)
        let mode = try FileManager.default.attributesOfItem(atPath: RootKey.candidatePath(for: path))[.posixPermissions]
        #expect(mode as? Int == 0o600)
        RootKey.discardCandidate(for: path)
        #expect(RootKey.loadCandidate(for: path) == nil)
        #expect(
            try RootKey.load(.file(path), createIfMissing: false).key.constantTimeEquals(
                old.withUnsafeBytes(Array.init)))
        try RootKey.stageCandidate(next, for: path)
        try RootKey.promoteCandidate(for: path)
        #expect(
            try RootKey.load(.file(path), createIfMissing: false).key.constantTimeEquals(
                next.withUnsafeBytes(Array.init)))
        #expect(RootKey.loadCandidate(for: path) == nil)
    }
}
