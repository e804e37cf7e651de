import Foundation
import SealboxAPI
import Testing

/// The lease API's bodies against the JSON `NativeEndpoint` reads and writes.
@Suite struct LeaseWireTests {
    @Test func leaseInfoMatchesTheDaemonsLeaseView() throws {
        let json =
            #"{"expiresAt":1712345678.25,"leaseId":"3f9c2a","maxUses":0,"name":"/app/db/password","uses":2,"version":7}"#
        let lease = try WireJSON.decode(LeaseInfo.self, json)
        #expect(
            lease
                == LeaseInfo(
                    leaseId: "3f9c2a", name: "/app/db/password", expiresAt: 1712345678.25, version: 7, maxUses: 0,
                    uses: 2))
        #expect(try WireJSON.encode(lease) == json)
    }

    @Test func aSecretLeaseNamesTheSecretAndItsVersionNotAParameter() throws {
        let json =
            #"{"expiresAt":1700000000,"leaseId":"a","maxUses":0,"secretId":"prod/db","uses":1,"versionId":"v1","versionStage":"AWSCURRENT"}"#
        let lease = try WireJSON.decode(LeaseInfo.self, json)
        #expect(
            lease
                == LeaseInfo(
                    leaseId: "a", secretId: "prod/db", expiresAt: 1_700_000_000, versionId: "v1",
                    versionStage: "AWSCURRENT", maxUses: 0, uses: 1))
        #expect(lease.name == nil && lease.version == nil)
        #expect(try WireJSON.encode(lease) == json)
        #expect(
            try WireJSON.encode(CreateLeaseRequest(secretId: "prod/db", versionStage: "AWSPREVIOUS"))
                == #"{"secretId":"prod/db","versionStage":"AWSPREVIOUS"}"#)
    }

    @Test func leaseListWrapsLeasesInOneMember() throws {
        let json =
            #"{"leases":[{"expiresAt":1700000000,"leaseId":"a","maxUses":3,"name":"/x","uses":0,"version":1}]}"#
        #expect(try WireJSON.roundTrip(LeaseList.self, json) == json)
        #expect(try WireJSON.roundTrip(LeaseList.self, #"{"leases":[]}"#) == #"{"leases":[]}"#)
    }

    @Test func createLeaseRequestLeavesOutWhatIsNotSet() throws {
        #expect(try WireJSON.encode(CreateLeaseRequest(name: "/app/x")) == #"{"name":"/app/x"}"#)
        #expect(
            try WireJSON.encode(CreateLeaseRequest(name: "/app/x", ttlSeconds: 60, maxUses: 0))
                == #"{"maxUses":0,"name":"/app/x","ttlSeconds":60}"#)
    }

    @Test func createLeaseRequestDecodesWithoutAName() throws {
        // The daemon answers "name is required" itself, so a body without one must still decode.
        let request = try WireJSON.decode(CreateLeaseRequest.self, "{}")
        #expect(request.name == nil)
        #expect(request.ttlSeconds == nil)
        #expect(request.maxUses == nil)
    }

    @Test func renewLeaseRequestCarriesOnlyTheTTL() throws {
        #expect(try WireJSON.encode(RenewLeaseRequest()) == "{}")
        #expect(try WireJSON.roundTrip(RenewLeaseRequest.self, #"{"ttlSeconds":900}"#) == #"{"ttlSeconds":900}"#)
    }

    @Test func revokeRequestSendsAPrefixOrALeaseID() throws {
        #expect(try WireJSON.encode(RevokeLeasesRequest(prefix: "/app/")) == #"{"prefix":"/app/"}"#)
        #expect(try WireJSON.encode(RevokeLeasesRequest(leaseId: "3f9c")) == #"{"leaseId":"3f9c"}"#)
    }

    @Test func revokedCountIsOneMember() throws {
        #expect(try WireJSON.decode(RevokedCount.self, #"{"revoked":4}"#).revoked == 4)
        #expect(try WireJSON.encode(RevokedCount(revoked: 0)) == #"{"revoked":0}"#)
    }

    @Test func redeemedValueNamesTheMembersTheDaemonWrites() {
        // SensitiveJSON in NativeEndpoint writes {"value":"...","version":n}.
        #expect(RedeemedValue.valueMember == "value")
        #expect(RedeemedValue.versionMember == "version")
        // And for a secret, {"value" or "binary": "...", "versionId": "..."}.
        #expect(RedeemedValue.binaryMember == "binary")
        #expect(RedeemedValue.versionIdMember == "versionId")
    }

    @Test func nativeErrorBodyIsErrorAndMessage() throws {
        let json = #"{"error":"LeaseNotFound","message":"no lease 3f9c"}"#
        #expect(
            try WireJSON.decode(NativeErrorBody.self, json)
                == NativeErrorBody(
                    error: "LeaseNotFound", message: "no lease 3f9c"))
        #expect(try WireJSON.roundTrip(NativeErrorBody.self, json) == json)
    }
}
