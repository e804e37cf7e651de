import SealboxAPI
import Testing

/// The paths against the ones `Router`, `NativeEndpoint`, `AdminEndpoint` and `TestingEndpoint` match.
@Suite struct NativePathTests {
    @Test func leasePaths() {
        #expect(NativePath.leases == "/v1/leases")
        #expect(NativePath.revokeLeases == "/v1/leases/revoke")
        #expect(NativePath.lease("3f9c") == "/v1/leases/3f9c")
        #expect(NativePath.redeem("3f9c") == "/v1/leases/3f9c/redeem")
        #expect(NativePath.renew("3f9c") == "/v1/leases/3f9c/renew")
    }

    @Test func adminAndEnvPaths() {
        #expect(
            [
                NativePath.status, NativePath.audit, NativePath.auditVerify, NativePath.rewrapKeys,
                NativePath.retireKeyVersions, NativePath.rotateRootKey, NativePath.backup, NativePath.envEncrypt,
                NativePath.envDecrypt, NativePath.envRewrap,
            ] == [
                "/v1/status", "/v1/audit", "/v1/audit/verify", "/v1/keys/rewrap", "/v1/keys/retire",
                "/v1/root/rotate", "/v1/backup", "/v1/env/encrypt", "/v1/env/decrypt", "/v1/env/rewrap",
            ])
    }

    @Test func auditQueries() {
        #expect(NativePath.audit(tail: 20) == "/v1/audit?tail=20")
        #expect(NativePath.audit(offset: 4096, limit: 1000) == "/v1/audit?offset=4096&limit=1000")
    }

    @Test func testingAndOperationsPaths() {
        #expect(NativePath.testCalls == "/v1/test/calls")
        #expect(NativePath.testInspect == "/v1/test/inspect")
        #expect(NativePath.fixtures == "/v1/fixtures")
        #expect(NativePath.fixtures(format: "json") == "/v1/fixtures?format=json")
        #expect(NativePath.health == "/health")
        #expect(NativePath.metrics == "/metrics")
        #expect(NativePath.reset == "/moto-api/reset")
        #expect(NativePath.aws == "/")
    }

    @Test func extensionPathEncodesTheName() {
        #expect(
            NativePath.extensionGetParameter(name: "/sealbox-bench/secret", withDecryption: true)
                == "/systemsmanager/parameters/get?name=%2Fsealbox-bench%2Fsecret&withDecryption=true")
        #expect(
            NativePath.extensionGetParameter(name: "a b&c", withDecryption: false)
                == "/systemsmanager/parameters/get?name=a%20b%26c")
    }
}
