import SealboxCrypto
import Testing

@testable import SealboxAWS
@testable import SealboxCore

@Suite struct LeaseServiceTests {
    /// The caller as one principal name, under a policy that grants it `allow`.
    private static func context(_ harness: SSMHarness, allow: [String]) -> RequestContext {
        var context = harness.context
        context.authorization = Authorization(
            principals: ["uid:1000"],
            policy: Policy(rules: [Policy.Rule(principals: ["uid:1000"], allow: allow, resources: ["*"])]))
        return context
    }

    @Test func aRedeemThePolicyRefusesGivesItsUseBack() throws {
        let h = try SSMHarness()
        try h.put("/app/db", "secret", type: "SecureString")
        let leases = LeaseService(ssm: h.ssm, clock: h.clock)
        let owner = Self.context(h, allow: ["lease:*"])
        let lease = try leases.create(name: "/app/db", ttlSeconds: 60, maxUses: 1, context: owner)
        let id = lease.id.description

        let refused = Self.context(h, allow: ["lease:Create"])
        #expect { try leases.redeem(id, context: refused) } throws: { ($0 as? SealboxError)?.code == .accessDenied }
        #expect(try leases.list(context: h.context).first?.uses == 0)

        let value = try leases.redeem(id, context: owner).value
        #expect(value.constantTimeEquals(Array("secret".utf8)))
        #expect { try leases.redeem(id, context: owner) } throws: { ($0 as? SealboxError)?.code == .leaseUsedUp }
    }

    @Test func anExpiredLeaseIsDroppedAsItIsRefused() throws {
        let h = try SSMHarness()
        try h.put("/app/db", "secret")
        let leases = LeaseService(ssm: h.ssm, clock: h.clock)
        let lease = try leases.create(name: "/app/db", ttlSeconds: 5, maxUses: nil, context: h.context)
        #expect(leases.table.count == 1)
        h.clock.advance(by: 6)
        #expect { try leases.redeem(lease.id.description, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .leaseExpired
        }
        #expect(leases.table.count == 0)
        #expect { try leases.redeem(lease.id.description, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .leaseNotFound
        }
    }

    @Test func theSweepKeepsALeaseForItsGraceSoItsFirstUseIsToldItExpired() throws {
        let h = try SSMHarness()
        try h.put("/app/db", "secret")
        let leases = LeaseService(ssm: h.ssm, clock: h.clock)
        let recent = try leases.create(name: "/app/db", ttlSeconds: 5, maxUses: nil, context: h.context)
        let old = try leases.create(name: "/app/db", ttlSeconds: 1, maxUses: nil, context: h.context)
        h.clock.advance(by: 62)  // `old` expired 61 s ago, `recent` 57 s ago.

        #expect(leases.sweep(expiredFor: 60) == 1)
        #expect { try leases.redeem(recent.id.description, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .leaseExpired
        }
        #expect { try leases.redeem(old.id.description, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .leaseNotFound
        }
    }

    @Test func aFullTableSweepsEveryExpiredLeaseToMakeRoom() throws {
        let h = try SSMHarness()
        try h.put("/app/db", "secret")
        let leases = LeaseService(ssm: h.ssm, settings: LeaseSettings(maxActive: 1), clock: h.clock)
        _ = try leases.create(name: "/app/db", ttlSeconds: 1, maxUses: nil, context: h.context)
        #expect { try leases.create(name: "/app/db", ttlSeconds: 1, maxUses: nil, context: h.context) } throws: {
            ($0 as? SealboxError)?.code == .tooManyLeases
        }
        h.clock.advance(by: 2)
        let fresh = try leases.create(name: "/app/db", ttlSeconds: 1, maxUses: nil, context: h.context)
        #expect(leases.table.count == 1)
        #expect(
            try leases.redeem(fresh.id.description, context: h.context).value.constantTimeEquals(Array("secret".utf8)))
    }

    @Test func oneUidCannotHoldMoreThanItsQuotaWhateverItsProcessesButOthersStillCan() throws {
        let h = try SSMHarness()
        try h.put("/app/db", "secret")
        let leases = LeaseService(
            ssm: h.ssm, settings: LeaseSettings(maxActive: 10, maxActivePerOwner: 2), clock: h.clock)
        func caller(pid: Int32, uid: UInt32) -> RequestContext {
            RequestContext(
                region: "us-east-1", accountID: "123456789012",
                principal: .process(pid: pid, uid: uid, gid: uid, startTime: 1))
        }
        let first = try leases.create(
            name: "/app/db", ttlSeconds: 60, maxUses: nil, context: caller(pid: 10, uid: 1001))
        _ = try leases.create(name: "/app/db", ttlSeconds: 60, maxUses: nil, context: caller(pid: 11, uid: 1001))
        #expect {
            try leases.create(name: "/app/db", ttlSeconds: 60, maxUses: nil, context: caller(pid: 12, uid: 1001))
        } throws: { ($0 as? SealboxError)?.code == .tooManyLeases }
        _ = try leases.create(name: "/app/db", ttlSeconds: 60, maxUses: nil, context: caller(pid: 20, uid: 1002))
        // A deleted lease returns its place to the owner.
        try leases.delete(first.id.description, context: caller(pid: 10, uid: 1001))
        _ = try leases.create(name: "/app/db", ttlSeconds: 60, maxUses: nil, context: caller(pid: 12, uid: 1001))
        #expect(leases.table.count == 3)
        // Expiry and sweeping do too.
        h.clock.advance(by: 61)
        #expect(leases.sweep() == 3)
        #expect(leases.table.held(by: LeaseOwner(caller(pid: 12, uid: 1001).principal)) == 0)
    }
}
