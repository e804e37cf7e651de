import SealboxCrypto
import Testing

@testable import SealboxAWS
@testable import SealboxCore

/// Leases over Secrets Manager secrets: what a redeem serves, when it fails, and what it needs.
@Suite struct SecretLeaseTests {
    let h: SSMHarness
    let secrets: SecretsManager
    let leases: LeaseService

    init() throws {
        h = try SSMHarness()
        secrets = try SecretsManager(store: h.kmsHarness.store, kms: h.kmsHarness.kms, clock: h.clock)
        h.ssm.serveSecretReferences(from: secrets)
        leases = LeaseService(ssm: h.ssm, secrets: secrets, clock: h.clock)
    }

    @discardableResult
    func call(_ operation: String, _ body: [String: Any], context: RequestContext? = nil) throws -> [String: Any] {
        try callOperation(SecretsManager.operations[operation]!, on: secrets, body, context: context ?? h.context)
            .get()
    }

    /// The caller under a policy that grants it `allow` on every resource.
    func context(allow: [String]) -> RequestContext {
        var context = h.context
        context.authorization = Authorization(
            principals: ["uid:1000"],
            policy: Policy(rules: [Policy.Rule(principals: ["uid:1000"], allow: allow, resources: ["*"])]))
        return context
    }

    func text(_ redemption: LeaseRedemption) -> String {
        redemption.value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    @Test func aRedeemServesTheVersionThatIsCurrentThen() throws {
        let first = try call("CreateSecret", ["Name": "prod/db", "SecretString": "one"])["VersionId"] as? String
        let lease = try leases.create(
            secretId: "prod/db", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        guard case .secret(_, nil, "AWSCURRENT", let created) = lease.target else {
            Issue.record("not a secret lease on AWSCURRENT: \(lease.target)")
            return
        }
        #expect(created == first)
        #expect(text(try leases.redeem(lease.id.description, context: h.context)) == "one")
        let second = try call("PutSecretValue", ["SecretId": "prod/db", "SecretString": "two"])["VersionId"] as? String
        let redeemed = try leases.redeem(lease.id.description, context: h.context)
        #expect(text(redeemed) == "two")
        #expect(redeemed.version == .secret(id: second!, binary: false))

        let previous = try leases.create(
            secretId: "prod/db", versionID: nil, stage: "AWSPREVIOUS", ttlSeconds: 60, maxUses: nil,
            context: h.context)
        #expect(text(try leases.redeem(previous.id.description, context: h.context)) == "one")
        let pinned = try leases.create(
            secretId: "prod/db", versionID: first, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        _ = try call("PutSecretValue", ["SecretId": "prod/db", "SecretString": "three"])
        #expect(text(try leases.redeem(pinned.id.description, context: h.context)) == "one")
    }

    @Test func aBinarySecretIsServedAsBytes() throws {
        try call("CreateSecret", ["Name": "blob", "SecretBinary": Base64.encode([0, 1, 2, 255])])
        let lease = try leases.create(
            secretId: "blob", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        let redeemed = try leases.redeem(lease.id.description, context: h.context)
        #expect(redeemed.value.constantTimeEquals([0, 1, 2, 255]))
        guard case .secret(_, let binary) = redeemed.version else {
            Issue.record("not a secret version")
            return
        }
        #expect(binary)
    }

    @Test func creatingAndRedeemingNeedGetSecretValueOnTheSecret() throws {
        try call("CreateSecret", ["Name": "prod/db", "SecretString": "one"])
        #expect {
            try leases.create(
                secretId: "prod/db", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: 1,
                context: context(allow: ["lease:*"]))
        } throws: { ($0 as? SealboxError)?.code == .accessDenied }
        let owner = context(allow: ["lease:*", "secretsmanager:GetSecretValue"])
        let lease = try leases.create(
            secretId: "prod/db", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: 1, context: owner)
        // The same caller after its grant was narrowed: refused, and the use given back.
        #expect { try leases.redeem(lease.id.description, context: context(allow: ["lease:*"])) } throws: {
            ($0 as? SealboxError)?.code == .accessDenied
        }
        #expect(text(try leases.redeem(lease.id.description, context: owner)) == "one")
        #expect { try leases.redeem(lease.id.description, context: owner) } throws: {
            ($0 as? SealboxError)?.code == .leaseUsedUp
        }
    }

    @Test func aDeletedOrRemadeSecretFailsAsGetSecretValueDoes() throws {
        try call("CreateSecret", ["Name": "prod/db", "SecretString": "one"])
        let lease = try leases.create(
            secretId: "prod/db", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        try call("DeleteSecret", ["SecretId": "prod/db", "RecoveryWindowInDays": 7])
        #expect { try leases.redeem(lease.id.description, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .invalidRequest
        }
        try call("RestoreSecret", ["SecretId": "prod/db"])
        #expect(text(try leases.redeem(lease.id.description, context: h.context)) == "one")
        // Deleted and made again under the name: another secret, which the lease does not open.
        try call("DeleteSecret", ["SecretId": "prod/db", "ForceDeleteWithoutRecovery": true])
        try call("CreateSecret", ["Name": "prod/db", "SecretString": "impostor"])
        #expect { try leases.redeem(lease.id.description, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .resourceNotFound
        }
        #expect {
            try leases.create(
                secretId: "prod/none", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        } throws: { ($0 as? SealboxError)?.code == .resourceNotFound }
    }

    @Test func aDisabledKeyFailsTheRedeemAsGetSecretValueFails() throws {
        let key =
            try #require(
                try callOperation(KMS.operations["CreateKey"]!, on: h.kmsHarness.kms, [:], context: h.context).get()[
                    "KeyMetadata"] as? [String: Any])["KeyId"] as? String
        try call("CreateSecret", ["Name": "keyed", "SecretString": "one", "KmsKeyId": key!])
        let lease = try leases.create(
            secretId: "keyed", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        _ = try callOperation(KMS.operations["DisableKey"]!, on: h.kmsHarness.kms, ["KeyId": key!], context: h.context)
            .get()
        #expect { try leases.redeem(lease.id.description, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .decryptionFailure
        }
    }

    @Test func servedSecretsAreRecordedAndRevealAgain() throws {
        let version = try call("CreateSecret", ["Name": "prod/db", "SecretString": "one"])["VersionId"] as! String
        let lease = try leases.create(
            secretId: "prod/db", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        var context = h.context
        context.trail = AuditTrail()
        _ = try leases.redeem(lease.id.description, context: context)
        let served = ServedSecret.secret(name: "prod/db", scope: h.context.scope, versionID: version)
        #expect(context.trail!.servedSecrets == [served])
        // GetSecretValue records the version it served the same way.
        context.trail = AuditTrail()
        try call("GetSecretValue", ["SecretId": "prod/db"], context: context)
        #expect(context.trail!.servedSecrets == [served])
        let revealed = try #require(served.reveal(kms: h.kmsHarness.kms, ssm: h.ssm, context: h.context))
        #expect(revealed.value.constantTimeEquals(Array("one".utf8)))
        #expect(revealed.label == "secret prod/db version \(version)")
    }

    @Test func revokingByPrefixCoversSecretLeases() throws {
        try call("CreateSecret", ["Name": "prod/db", "SecretString": "one"])
        try h.put("/prod/x", "p")
        _ = try leases.create(
            secretId: "prod/db", versionID: nil, stage: nil, ttlSeconds: 60, maxUses: nil, context: h.context)
        _ = try leases.create(name: "/prod/x", ttlSeconds: 60, maxUses: nil, context: h.context)
        #expect(try leases.revoke(prefix: "prod/", context: h.context) == 1)
        #expect(try leases.list(context: h.context).map(\.name) == ["/prod/x"])
    }
}
