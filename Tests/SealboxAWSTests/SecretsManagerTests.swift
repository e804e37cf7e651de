import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

/// Secrets Manager through its wire operations, on the in-memory store KMS uses.
@Suite struct SecretsManagerTests {
    let kms: KMSHarness
    let secrets: SecretsManager

    init() throws {
        kms = try KMSHarness()
        secrets = try SecretsManager(store: kms.store, kms: kms.kms, clock: kms.clock)
    }

    func call(_ operation: String, _ body: [String: Any], on service: SecretsManager? = nil) -> Result<
        [String: Any], AWSError
    > {
        callOperation(SecretsManager.operations[operation]!, on: service ?? secrets, body, context: kms.context)
    }

    func ok(_ operation: String, _ body: [String: Any]) throws -> [String: Any] { try call(operation, body).get() }

    @Test func aValueMovedToAnotherVersionDoesNotOpen() throws {
        _ = try ok("CreateSecret", ["Name": "db", "SecretString": "one"])
        _ = try ok("PutSecretValue", ["SecretId": "db", "SecretString": "two"])
        var secret = try #require(secrets.secrets[Scoped("db", in: kms.context.scope)])
        let current = try #require(secret.versions.firstIndex { $0.stages.contains("AWSCURRENT") })
        let previous = try #require(secret.versions.firstIndex { $0.stages.contains("AWSPREVIOUS") })
        // Swap the sealed values of the two versions, as a hand-edited store would.
        (secret.versions[current].value, secret.versions[previous].value) =
            (secret.versions[previous].value, secret.versions[current].value)
        try kms.store.apply([SecretChange(secret: secret, writtenVersions: secret.versions.map(\.id))])
        let reloaded = try SecretsManager(store: kms.store, kms: kms.kms, clock: kms.clock)
        if case .failure(let error) = call("GetSecretValue", ["SecretId": "db"], on: reloaded) {
            #expect(error.code == .decryptionFailure)
        } else {
            Issue.record("a value moved to another version opened")
        }
    }

    @Test func aReplicaIsSealedUnderItsOwnARN() throws {
        _ = try ok("CreateSecret", ["Name": "db", "SecretString": "v", "AddReplicaRegions": [["Region": "eu-west-1"]]])
        let primary = try #require(secrets.secrets[Scoped("db", in: kms.context.scope)])
        let scope = Scope(account: kms.context.accountID, region: "eu-west-1")
        let replica = try #require(secrets.secrets[Scoped("db", in: scope)])
        #expect(replica.metadata.arn == SecretsManager.replicaARN(primary.metadata.arn, region: "eu-west-1"))
        #expect(replica.metadata.arn.hasSuffix(String(primary.metadata.arn.suffix(7))))
        #expect(replica.versions.map(\.id) == primary.versions.map(\.id))
        #expect(replica.versions[0].value != primary.versions[0].value)
        #expect(
            try secrets.open(replica.versions[0], of: replica, kms.context.within(scope)).withUnsafeBytes { Array($0) }
                == Array("v".utf8))
        // The primary's sealed value does not open as the replica's.
        var moved = replica
        moved.versions[0].value = primary.versions[0].value
        #expect(throws: SealboxError.self) { try secrets.open(moved.versions[0], of: moved, kms.context.within(scope)) }
    }

    @Test func versionsWithoutALabelBeyondAHundredArePruned() throws {
        _ = try ok("CreateSecret", ["Name": "many", "SecretString": "0"])
        for index in 1...(SecretsManager.maxVersions + 5) {
            _ = try ok("PutSecretValue", ["SecretId": "many", "SecretString": "\(index)"])
        }
        let secret = try #require(secrets.secrets[Scoped("many", in: kms.context.scope)])
        #expect(secret.versions.count == SecretsManager.maxVersions)
        #expect(secret.versions.filter { !$0.stages.isEmpty }.map(\.stages) == [["AWSPREVIOUS"], ["AWSCURRENT"]])
        let restarted = try SecretsManager(store: kms.store, kms: kms.kms, clock: kms.clock)
        let value = try call("GetSecretValue", ["SecretId": "many"], on: restarted).get()
        #expect(value["SecretString"] as? String == "\(SecretsManager.maxVersions + 5)")
    }

    @Test func aScheduledDeletionIsPurgedWhenItsWindowEnds() throws {
        _ = try ok("CreateSecret", ["Name": "gone", "SecretString": "v"])
        _ = try ok("DeleteSecret", ["SecretId": "gone", "RecoveryWindowInDays": 7])
        #expect(try secrets.purgeDeleted() == 0)
        kms.clock.advance(by: 7 * 86_400)
        #expect(try secrets.purgeDeleted() == 1)
        let restarted = try SecretsManager(store: kms.store, kms: kms.kms, clock: kms.clock)
        if case .failure(let error) = call("DescribeSecret", ["SecretId": "gone"], on: restarted) {
            #expect(error.code == .resourceNotFound)
        } else {
            Issue.record("a purged secret is still described")
        }
    }
}
