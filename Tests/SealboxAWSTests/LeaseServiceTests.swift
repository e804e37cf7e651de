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
}
