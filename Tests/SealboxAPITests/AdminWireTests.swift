import Foundation
import SealboxAPI
import Testing

/// The admin and env bodies against the JSON `AdminEndpoint` and `Router` read and write.
@Suite struct AdminWireTests {
    @Test func statusWithAFileAuditLog() throws {
        let json =
            #"{"audit":{"enabled":true,"path":"/var/lib/sealbox/audit.log","writeFailures":0},"ephemeral":false,"keys":3,"leases":1,"parameters":12,"rootKey":"file:/var/lib/sealbox/root.key","uptimeSeconds":42,"version":"0.1.0"}"#
        let status = try WireJSON.decode(StatusResponse.self, json)
        #expect(status.audit.path == "/var/lib/sealbox/audit.log")
        #expect(status.rootKey == "file:/var/lib/sealbox/root.key")
        #expect(try WireJSON.encode(status) == json)
    }

    @Test func statusWithoutAnAuditLogHasNoPath() throws {
        let json =
            #"{"audit":{"enabled":false,"writeFailures":0},"ephemeral":true,"keys":0,"leases":0,"parameters":0,"rootKey":"memory","uptimeSeconds":0,"version":"0.1.0"}"#
        let status = try WireJSON.decode(StatusResponse.self, json)
        #expect(status.audit.path == nil)
        #expect(try WireJSON.encode(status) == json)
    }

    @Test func healthMatchesTheDocumentedBody() throws {
        let json =
            #"{"ephemeral":false,"keys":2,"leases":0,"memoryLocked":true,"parameters":5,"status":"ok","uptimeSeconds":9,"version":"0.1.0"}"#
        #expect(try WireJSON.decode(Health.self, json).status == "ok")
        #expect(try WireJSON.roundTrip(Health.self, json) == json)
    }

    @Test func resetAnswersStatusOK() throws {
        #expect(try WireJSON.roundTrip(ResetResult.self, #"{"status":"ok"}"#) == #"{"status":"ok"}"#)
    }

    @Test func rewrapRequestAndBatch() throws {
        #expect(try WireJSON.encode(RewrapRequest(limit: 200)) == #"{"limit":200}"#)
        #expect(try WireJSON.encode(RewrapRequest(keyId: "alias/app", limit: 5)) == #"{"keyId":"alias/app","limit":5}"#)
        let batch = #"{"failed":["/app/broken"],"remaining":0,"rewrapped":3}"#
        #expect(try WireJSON.decode(RewrapBatch.self, batch).failed == ["/app/broken"])
        #expect(try WireJSON.roundTrip(RewrapBatch.self, batch) == batch)
    }

    @Test func retireRequestAndAnswer() throws {
        #expect(
            try WireJSON.encode(RetireRequest(keyId: "alias/app", belowVersion: 2))
                == #"{"belowVersion":2,"keyId":"alias/app"}"#)
        let retired = #"{"keyArn":"arn:aws:kms:us-east-1:123456789012:key/k1","minDecryptionVersion":2}"#
        #expect(try WireJSON.roundTrip(RetiredVersions.self, retired) == retired)
    }

    @Test func rootRotationNamesVersionsAndTheKeyFile() throws {
        let json = #"{"rootKey":"/var/lib/sealbox/root.key","versions":4}"#
        #expect(try WireJSON.decode(RootRotation.self, json).versions == 4)
        #expect(try WireJSON.roundTrip(RootRotation.self, json) == json)
    }

    @Test func auditPageKeepsLinesVerbatim() throws {
        let json = #"{"lines":["{\"action\":\"lease:Create\"}"],"nextOffset":27,"size":27}"#
        let page = try WireJSON.decode(AuditPage.self, json)
        #expect(page.lines == [#"{"action":"lease:Create"}"#])
        #expect(try WireJSON.encode(page) == json)
    }

    @Test func auditVerificationWithAndWithoutAProblem() throws {
        let ok = #"{"ok":true,"path":"/var/log/audit.log","verified":10}"#
        #expect(try WireJSON.decode(AuditVerification.self, ok).problem == nil)
        #expect(try WireJSON.roundTrip(AuditVerification.self, ok) == ok)
        let bad = #"{"ok":false,"path":"-","problem":{"line":3,"reason":"MAC mismatch"},"verified":2}"#
        #expect(try WireJSON.decode(AuditVerification.self, bad).problem?.line == 3)
        #expect(try WireJSON.roundTrip(AuditVerification.self, bad) == bad)
    }

    @Test func envRequestSendsOnlyWhatTheCallerSet() throws {
        #expect(
            try WireJSON.encode(EnvRequest(name: "DB", value: "s3cr3t", fernet: false))
                == #"{"fernet":false,"name":"DB","value":"s3cr3t"}"#)
        #expect(
            try WireJSON.encode(EnvRequest(name: "DB", token: "sealbox:v1:abc"))
                == #"{"name":"DB","token":"sealbox:v1:abc"}"#)
        #expect(try WireJSON.decode(EnvRequest.self, "{}").name == nil)
    }

    @Test func envAnswers() throws {
        let token = #"{"name":"DB","token":"sealbox:v1:abc"}"#
        #expect(try WireJSON.roundTrip(EnvToken.self, token) == token)
        let rewrapped = #"{"changed":true,"name":"DB","token":"sealbox:v1:def"}"#
        #expect(try WireJSON.roundTrip(EnvRewrapped.self, rewrapped) == rewrapped)
        let value = #"{"name":"DB","value":"s3cr3t"}"#
        #expect(try WireJSON.roundTrip(EnvValue.self, value) == value)
        #expect(EnvValue.valueMember == "value")
    }
}
