import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

/// Grants through the wire operations, with a policy that lets only uid 0 use keys: uid 1001 is the
/// role `app` and uid 1002 the role `ops` by the config's `aws.principals`, and get in only by grants.
struct GrantHarness {
    static let app = "arn:aws:iam::123456789012:role/app"
    static let ops = "arn:aws:iam::123456789012:role/ops"
    static let policy = Policy(
        rules: [.init(principals: ["uid:0"], allow: ["*"], resources: ["*"])],
        awsPrincipals: [app: ["uid:1001"], ops: ["uid:1002", "group:ops"]])

    let h: KMSHarness

    init(_ h: KMSHarness? = nil) throws {
        self.h = try h ?? KMSHarness()
    }

    /// Calls an operation as a uid, under the policy.
    func call(_ uid: UInt32, _ operation: String, _ body: [String: Any], trail: AuditTrail? = nil) -> Result<
        [String: Any], AWSError
    > {
        let wire = KMS.operations[operation]!
        var context = RequestContext(
            region: "us-east-1", accountID: "123456789012",
            principal: .process(pid: 10, uid: uid, gid: uid, startTime: 1),
            authorization: Authorization(principals: ["uid:\(uid)"], policy: Self.policy), action: wire.action)
        context.trail = trail
        return callOperation(wire, on: h.kms, body, context: context)
    }

    func ok(_ uid: UInt32, _ operation: String, _ body: [String: Any]) throws -> [String: Any] {
        try call(uid, operation, body).get()
    }

    /// The error code a call answers with; nil when it succeeds.
    func code(_ uid: UInt32, _ operation: String, _ body: [String: Any]) -> String? {
        if case .failure(let error) = call(uid, operation, body) { return error.type }
        return nil
    }

    func grant(_ key: String, _ operations: [String], _ extra: [String: Any] = [:]) throws -> (
        id: String, token: String
    ) {
        var body: [String: Any] = ["KeyId": key, "GranteePrincipal": Self.app, "Operations": operations]
        body.merge(extra) { _, new in new }
        let answer = try ok(0, "CreateGrant", body)
        return (try #require(answer["GrantId"] as? String), try #require(answer["GrantToken"] as? String))
    }

    func grants(_ key: String) throws -> [[String: Any]] {
        try #require(try ok(0, "ListGrants", ["KeyId": key])["Grants"] as? [[String: Any]])
    }

    func encrypt(_ uid: UInt32, _ key: String, context: [String: String] = [:]) -> Result<[String: Any], AWSError> {
        call(uid, "Encrypt", ["KeyId": key, "Plaintext": "aGk=", "EncryptionContext": context])
    }
}

@Suite struct KMSGrantTests {
    @Test func aGrantLetsARefusedCallerInUntilTheRetiringPrincipalRetiresIt() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        #expect(g.code(1001, "Encrypt", ["KeyId": key, "Plaintext": "aGk="]) == "AccessDeniedException")
        let (id, token) = try g.grant(key, ["Encrypt", "Decrypt"], ["RetiringPrincipal": GrantHarness.ops])
        #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
        #expect(GrantToken.grantID(of: token) == id)
        let blob = try #require(try g.encrypt(1001, key).get()["CiphertextBlob"] as? String)
        #expect(try g.ok(1001, "Decrypt", ["CiphertextBlob": blob])["Plaintext"] as? String == "aGk=")
        // Only what the grant lists, only for its grantee.
        #expect(g.code(1001, "GenerateDataKey", ["KeyId": key, "KeySpec": "AES_256"]) == "AccessDeniedException")
        #expect(g.code(1001, "DescribeKey", ["KeyId": key]) == "AccessDeniedException")
        #expect(g.code(1003, "Encrypt", ["KeyId": key, "Plaintext": "aGk="]) == "AccessDeniedException")
        // The grantee may not retire a grant that does not list RetireGrant; the retiring principal may.
        #expect(g.code(1001, "RetireGrant", ["GrantToken": token]) == "AccessDeniedException")
        _ = try g.ok(1002, "RetireGrant", ["GrantToken": token])
        #expect(g.code(1001, "Encrypt", ["KeyId": key, "Plaintext": "aGk="]) == "AccessDeniedException")
        #expect(try g.grants(key).isEmpty)
        #expect(try g.h.store.loadGrants().isEmpty)
    }

    @Test func revokingNeedsThePolicyAndEndsTheGrant() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let (id, _) = try g.grant(key, ["Encrypt", "RetireGrant"], ["RetiringPrincipal": GrantHarness.ops])
        #expect(throws: Never.self) { try g.encrypt(1001, key).get() }
        #expect(g.code(1002, "RevokeGrant", ["KeyId": key, "GrantId": id]) == "AccessDeniedException")
        #expect(g.code(1001, "RevokeGrant", ["KeyId": key, "GrantId": id]) == "AccessDeniedException")
        _ = try g.ok(0, "RevokeGrant", ["KeyId": key, "GrantId": id])
        #expect(g.code(1001, "Encrypt", ["KeyId": key, "Plaintext": "aGk="]) == "AccessDeniedException")
        #expect(g.code(0, "RevokeGrant", ["KeyId": key, "GrantId": id]) == "NotFoundException")
    }

    @Test func aGranteeMayRetireAGrantThatListsRetireGrant() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let (id, _) = try g.grant(key, ["Encrypt", "RetireGrant"])
        let (other, _) = try g.grant(key, ["Decrypt"])
        // RetireGrant in one grant does not let its grantee retire another.
        #expect(g.code(1001, "RetireGrant", ["KeyId": key, "GrantId": other]) == "AccessDeniedException")
        #expect(g.code(1003, "RetireGrant", ["KeyId": key, "GrantId": id]) == "AccessDeniedException")
        _ = try g.ok(1001, "RetireGrant", ["KeyId": key, "GrantId": id])
        #expect(try g.grants(key).map { $0["GrantId"] as? String } == [other])
        // The account (a caller the policy grants kms:RetireGrant) may retire any grant on the key.
        _ = try g.ok(0, "RetireGrant", ["KeyId": "arn:aws:kms:us-east-1:123456789012:key/\(key)", "GrantId": other])
        #expect(try g.grants(key).isEmpty)
    }

    @Test func constraintsDecideOnTheRequestsEncryptionContext() throws {
        let g = try GrantHarness()
        let subsetKey = try g.h.createKey()
        let equalsKey = try g.h.createKey()
        _ = try g.grant(
            subsetKey, ["Encrypt", "Decrypt", "GenerateDataKey"],
            ["Constraints": ["EncryptionContextSubset": ["Department": "IT"]]])
        _ = try g.grant(
            equalsKey, ["Encrypt", "Decrypt", "GenerateDataKey"],
            ["Constraints": ["EncryptionContextEquals": ["Department": "IT"]]])
        let it = ["Department": "IT"]
        let more = ["Department": "IT", "Purpose": "Test"]
        for key in [subsetKey, equalsKey] {
            #expect(g.code(1001, "Encrypt", ["KeyId": key, "Plaintext": "aGk="]) == "AccessDeniedException")
            #expect(throws: Never.self) { try g.encrypt(1001, key, context: it).get() }
            #expect(
                g.code(1001, "Encrypt", ["KeyId": key, "Plaintext": "aGk=", "EncryptionContext": ["Department": "HR"]])
                    == "AccessDeniedException")
            let dataKey: [String: Any] = ["KeyId": key, "KeySpec": "AES_256", "EncryptionContext": it]
            #expect(throws: Never.self) { try g.ok(1001, "GenerateDataKey", dataKey) }
            #expect(g.code(1001, "GenerateDataKey", ["KeyId": key, "KeySpec": "AES_256"]) == "AccessDeniedException")
            let blob = try g.h.encrypt(key, "x", context: more)
            let decrypted = g.call(1001, "Decrypt", ["CiphertextBlob": blob, "EncryptionContext": more])
            if key == subsetKey {
                #expect(throws: Never.self) { try decrypted.get() }
            } else {
                #expect(
                    g.code(1001, "Decrypt", ["CiphertextBlob": blob, "EncryptionContext": more])
                        == "AccessDeniedException")
            }
        }
        #expect(throws: Never.self) { try g.encrypt(1001, subsetKey, context: more).get() }
        #expect(
            g.code(1001, "Encrypt", ["KeyId": equalsKey, "Plaintext": "aGk=", "EncryptionContext": more])
                == "AccessDeniedException")
    }

    @Test func reEncryptNeedsReEncryptFromOnTheSourceAndReEncryptToOnTheDestination() throws {
        let g = try GrantHarness()
        let source = try g.h.createKey()
        let destination = try g.h.createKey()
        let blob = try g.h.encrypt(source, "x")
        let body: [String: Any] = ["CiphertextBlob": blob, "DestinationKeyId": destination]
        #expect(g.code(1001, "ReEncrypt", body) == "AccessDeniedException")
        _ = try g.grant(destination, ["ReEncryptTo"])
        #expect(g.code(1001, "ReEncrypt", body) == "AccessDeniedException")
        _ = try g.grant(source, ["ReEncryptFrom"])
        #expect(throws: Never.self) { try g.ok(1001, "ReEncrypt", body) }
    }

    @Test func everyOperationIsCoveredByItsActionsName() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey(["KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"])
        let body: [String: Any] = ["KeyId": key, "Message": "bQ==", "MacAlgorithm": "HMAC_SHA_256"]
        #expect(g.code(1001, "GenerateMac", body) == "AccessDeniedException")
        _ = try g.grant(key, ["GenerateMac", "DescribeKey"])
        #expect(throws: Never.self) { try g.ok(1001, "GenerateMac", body) }
        #expect(throws: Never.self) { try g.ok(1001, "DescribeKey", ["KeyId": key]) }
        #expect(g.code(1001, "ListGrants", ["KeyId": key]) == "AccessDeniedException")
    }

    @Test func anAuditTrailNamesTheGrantThatAllowedTheCall() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let (id, _) = try g.grant(key, ["Encrypt"])
        let trail = AuditTrail()
        _ = try g.call(1001, "Encrypt", ["KeyId": key, "Plaintext": "aGk="], trail: trail).get()
        #expect(trail.touchedResources == ["arn:aws:kms:us-east-1:123456789012:key/\(key)", "grant:\(id)"])
    }

    @Test func createGrantRefusesWhatAWSRefusesAndStoresNothing() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let hmac = try g.h.createKey(["KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"])
        let app = GrantHarness.app
        let cases: [([String: Any], String)] = [
            (["KeyId": key, "GranteePrincipal": app, "Operations": ["Encrypt", "CreateKey"]], "ValidationException"),
            (["KeyId": key, "GranteePrincipal": app, "Operations": []], "ValidationException"),
            (["KeyId": key, "GranteePrincipal": app], "ValidationException"),
            (["KeyId": key, "Operations": ["Encrypt"]], "ValidationException"),
            (["KeyId": key, "GranteePrincipal": "uid:1001", "Operations": ["Encrypt"]], "InvalidArnException"),
            (["KeyId": key, "GranteePrincipal": "exampleUser", "Operations": ["Encrypt"]], "InvalidArnException"),
            (["KeyId": key, "GranteePrincipal": "has space", "Operations": ["Encrypt"]], "ValidationException"),
            (
                [
                    "KeyId": key, "GranteePrincipal": app, "RetiringPrincipal": "access-key:x",
                    "Operations": ["Encrypt"],
                ],
                "InvalidArnException"
            ),
            (["KeyId": key, "GranteePrincipal": app, "Operations": ["Sign"]], "ValidationException"),
            (["KeyId": key, "GranteePrincipal": app, "Operations": ["CreateGrant"]], "ValidationException"),
            (["KeyId": hmac, "GranteePrincipal": app, "Operations": ["Encrypt"]], "ValidationException"),
            (
                [
                    "KeyId": hmac, "GranteePrincipal": app, "Operations": ["GenerateMac"],
                    "Constraints": ["EncryptionContextSubset": ["a": "b"]],
                ], "ValidationException"
            ),
            (
                [
                    "KeyId": key, "GranteePrincipal": app, "Operations": ["Encrypt"],
                    "Constraints": ["EncryptionContextSubset": ["a": "b"], "EncryptionContextEquals": ["a": "b"]],
                ], "ValidationException"
            ),
            (
                [
                    "KeyId": key, "GranteePrincipal": app, "Operations": ["Encrypt"],
                    "Constraints": [
                        "EncryptionContextSubset": Dictionary(uniqueKeysWithValues: (1...9).map { ("k\($0)", "v") })
                    ],
                ], "ValidationException"
            ),
            (
                ["KeyId": key, "GranteePrincipal": app, "Operations": ["Encrypt"], "Name": "has space"],
                "ValidationException"
            ),
            (
                ["KeyId": key, "GranteePrincipal": app, "Operations": ["Encrypt"], "GrantTokens": ["bogus"]],
                "InvalidGrantTokenException"
            ),
            (["KeyId": "alias/nope", "GranteePrincipal": app, "Operations": ["Encrypt"]], "NotFoundException"),
            (
                ["KeyId": KeyID.random().description, "GranteePrincipal": app, "Operations": ["Encrypt"]],
                "NotFoundException"
            ),
        ]
        for (body, expected) in cases {
            #expect(g.code(0, "CreateGrant", body) == expected, "\(body)")
        }
        // A caller the policy refuses learns nothing more about the request.
        #expect(
            g.code(1001, "CreateGrant", ["KeyId": key, "GranteePrincipal": app, "Operations": ["Sign"]])
                == "AccessDeniedException")
        #expect(try g.grants(key).isEmpty)
        #expect(try g.grants(hmac).isEmpty)
        #expect(try g.h.store.loadGrants().isEmpty)
    }

    @Test func aDisabledOrPendingKeyTakesNoNewGrants() throws {
        let g = try GrantHarness()
        let disabled = try g.h.createKey()
        _ = try g.h.ok("DisableKey", ["KeyId": disabled])
        let pending = try g.h.createKey()
        _ = try g.h.ok("ScheduleKeyDeletion", ["KeyId": pending, "PendingWindowInDays": 7])
        let body = ["GranteePrincipal": GrantHarness.app, "Operations": ["Encrypt"]] as [String: Any]
        #expect(g.code(0, "CreateGrant", body.merging(["KeyId": disabled]) { a, _ in a }) == "DisabledException")
        #expect(g.code(0, "CreateGrant", body.merging(["KeyId": pending]) { a, _ in a }) == "KMSInvalidStateException")
        #expect(try g.grants(pending).isEmpty)
    }

    @Test func constraintsGoWithTheOperationsAWSAllowsThemWith() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let constraint = ["EncryptionContextSubset": ["Department": "IT"]]
        #expect(throws: Never.self) {
            try g.grant(key, ["Decrypt", "DescribeKey", "RetireGrant", "CreateGrant"], ["Constraints": constraint])
        }
        // The constraint does not apply to DescribeKey.
        #expect(throws: Never.self) { try g.ok(1001, "DescribeKey", ["KeyId": key]) }
    }

    @Test func aNameMakesCreateGrantIdempotent() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let first = try g.grant(key, ["Encrypt", "Decrypt"], ["Name": "deploy-1"])
        let again = try g.grant(key, ["Decrypt", "Encrypt"], ["Name": "deploy-1"])
        #expect(again.id == first.id)
        #expect(again.token != first.token)
        #expect(GrantToken.grantID(of: again.token) == first.id)
        let changed = try g.grant(key, ["Encrypt"], ["Name": "deploy-1"])
        #expect(changed.id != first.id)
        let unnamed = try g.grant(key, ["Encrypt"])
        #expect(try g.grant(key, ["Encrypt"]).id != unnamed.id)
        #expect(try g.grants(key).count == 4)
    }

    @Test func dryRunChecksEverythingAndChangesNothing() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let body: [String: Any] = [
            "KeyId": key, "GranteePrincipal": GrantHarness.app, "Operations": ["Encrypt"], "DryRun": true,
        ]
        #expect(g.code(0, "CreateGrant", body) == "DryRunOperationException")
        #expect(g.code(1001, "CreateGrant", body) == "AccessDeniedException")
        #expect(try g.grants(key).isEmpty)
        let (id, token) = try g.grant(key, ["Encrypt"], ["RetiringPrincipal": GrantHarness.ops])
        #expect(g.code(1002, "RetireGrant", ["GrantToken": token, "DryRun": true]) == "DryRunOperationException")
        #expect(g.code(1003, "RetireGrant", ["GrantToken": token, "DryRun": true]) == "AccessDeniedException")
        #expect(g.code(0, "RevokeGrant", ["KeyId": key, "GrantId": id, "DryRun": true]) == "DryRunOperationException")
        #expect(try g.grants(key).count == 1)
        #expect(throws: Never.self) { try g.encrypt(1001, key).get() }
    }

    @Test func badGrantReferencesGetAWSsErrors() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let other = try g.h.createKey()
        let (id, token) = try g.grant(key, ["Encrypt"])
        let unknown = GrantRecord.newID()
        let cases: [(String, [String: Any], String)] = [
            ("RetireGrant", ["GrantToken": "bogus"], "InvalidGrantTokenException"),
            ("RetireGrant", ["GrantToken": GrantToken.make(grantID: unknown)], "NotFoundException"),
            ("RetireGrant", ["GrantToken": token, "GrantId": unknown], "InvalidGrantIdException"),
            ("RetireGrant", ["GrantToken": token, "KeyId": other], "NotFoundException"),
            ("RetireGrant", ["KeyId": key, "GrantId": "abc"], "InvalidGrantIdException"),
            ("RetireGrant", ["KeyId": key, "GrantId": unknown], "NotFoundException"),
            ("RetireGrant", ["GrantId": id], "ValidationException"),
            ("RetireGrant", [:], "ValidationException"),
            ("RetireGrant", ["GrantToken": ""], "ValidationException"),
            ("RevokeGrant", ["KeyId": key, "GrantId": "abc"], "InvalidGrantIdException"),
            ("RevokeGrant", ["KeyId": key, "GrantId": unknown], "NotFoundException"),
            ("RevokeGrant", ["KeyId": other, "GrantId": id], "NotFoundException"),
            ("RevokeGrant", ["KeyId": key], "ValidationException"),
            ("ListGrants", ["KeyId": key, "GrantId": "abc"], "InvalidGrantIdException"),
            ("ListGrants", ["KeyId": key, "Marker": "bogus"], "InvalidMarkerException"),
            ("ListGrants", ["KeyId": key, "Limit": 0], "ValidationException"),
            ("ListGrants", [:], "ValidationException"),
            ("ListRetirableGrants", ["RetiringPrincipal": "nobody"], "InvalidArnException"),
            ("ListRetirableGrants", [:], "ValidationException"),
        ]
        for (operation, body, expected) in cases {
            #expect(g.code(0, operation, body) == expected, "\(operation) \(body)")
        }
        #expect(try g.grants(key).map { $0["GrantId"] as? String } == [id])
        #expect(throws: Never.self) { try g.encrypt(1001, key).get() }
    }

    @Test func grantTokensAreCheckedOnEveryOperationThatTakesThem() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let (_, token) = try g.grant(key, ["Encrypt", "DescribeKey"])
        #expect(throws: Never.self) {
            try g.call(1001, "Encrypt", ["KeyId": key, "Plaintext": "aGk=", "GrantTokens": [token]]).get()
        }
        #expect(throws: Never.self) { try g.ok(1001, "DescribeKey", ["KeyId": key, "GrantTokens": [token]]) }
        let bogus: [String: Any] = ["KeyId": key, "Plaintext": "aGk=", "GrantTokens": [token, "bogus"]]
        #expect(g.code(1001, "Encrypt", bogus) == "InvalidGrantTokenException")
        #expect(g.code(0, "DescribeKey", ["KeyId": key, "GrantTokens": ["bogus"]]) == "InvalidGrantTokenException")
        let eleven: [String: Any] = [
            "KeyId": key, "Plaintext": "aGk=", "GrantTokens": Array(repeating: token, count: 11),
        ]
        #expect(g.code(0, "Encrypt", eleven) == "ValidationException")
        let long: [String: Any] = [
            "KeyId": key, "Plaintext": "aGk=", "GrantTokens": [String(repeating: "A", count: 8193)],
        ]
        #expect(g.code(0, "Encrypt", long) == "ValidationException")
    }

    @Test func aGrantThatAllowsCreateGrantAllowsOnlyStricterGrants() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        _ = try g.grant(
            key, ["Decrypt", "Encrypt", "CreateGrant"],
            ["Constraints": ["EncryptionContextSubset": ["Department": "IT"]]])
        func child(_ operations: [String], _ constraints: [String: Any]?) -> String? {
            var body: [String: Any] = ["KeyId": key, "GranteePrincipal": GrantHarness.ops, "Operations": operations]
            if let constraints { body["Constraints"] = constraints }
            return g.code(1001, "CreateGrant", body)
        }
        #expect(child(["Decrypt"], ["EncryptionContextSubset": ["Department": "IT", "Purpose": "Test"]]) == nil)
        #expect(child(["Decrypt", "CreateGrant"], ["EncryptionContextEquals": ["Department": "IT"]]) == nil)
        #expect(child(["Decrypt"], nil) == "AccessDeniedException")
        #expect(child(["Decrypt"], ["EncryptionContextSubset": ["Purpose": "Test"]]) == "AccessDeniedException")
        #expect(
            child(["GenerateDataKey"], ["EncryptionContextSubset": ["Department": "IT"]]) == "AccessDeniedException")
        // A child grant works for its own grantee, under its constraint.
        let blob = try g.h.encrypt(key, "x", context: ["Department": "IT", "Purpose": "Test"])
        #expect(throws: Never.self) {
            try g.ok(
                1002, "Decrypt",
                ["CiphertextBlob": blob, "EncryptionContext": ["Department": "IT", "Purpose": "Test"]])
        }
        #expect(
            g.code(1002, "Encrypt", ["KeyId": key, "Plaintext": "aGk=", "EncryptionContext": ["Department": "IT"]])
                == "AccessDeniedException")
    }

    @Test func listsPageInCreationOrderAndFilter() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        var ids: [String] = []
        for index in 0..<5 {
            g.h.clock.advance(by: 1)
            let grantee = index % 2 == 0 ? GrantHarness.app : GrantHarness.ops
            let answer = try g.ok(
                0, "CreateGrant",
                [
                    "KeyId": key, "GranteePrincipal": grantee, "Operations": ["Decrypt"],
                    "RetiringPrincipal": GrantHarness.ops, "Name": "g\(index)",
                ])
            ids.append(try #require(answer["GrantId"] as? String))
        }
        var seen: [String] = []
        var marker: String? = nil
        repeat {
            var body: [String: Any] = ["KeyId": key, "Limit": 2]
            if let marker { body["Marker"] = marker }
            let page = try g.ok(0, "ListGrants", body)
            let grants = try #require(page["Grants"] as? [[String: Any]])
            #expect(grants.count <= 2)
            seen += grants.compactMap { $0["GrantId"] as? String }
            marker = page["NextMarker"] as? String
            #expect((page["Truncated"] as? Bool) == (marker != nil))
        } while marker != nil
        #expect(seen == ids)
        let entry = try #require(try g.grants(key).first)
        #expect(entry["KeyId"] as? String == "arn:aws:kms:us-east-1:123456789012:key/\(key)")
        #expect(entry["IssuingAccount"] as? String == "arn:aws:iam::123456789012:root")
        #expect(entry["GranteePrincipal"] as? String == GrantHarness.app)
        #expect(entry["RetiringPrincipal"] as? String == GrantHarness.ops)
        #expect(entry["Operations"] as? [String] == ["Decrypt"])
        #expect(entry["Name"] as? String == "g0")
        #expect(entry["CreationDate"] as? Double == 1_800_000_001)
        #expect(entry["Constraints"] == nil)
        let byGrantee = try #require(
            try g.ok(0, "ListGrants", ["KeyId": key, "GranteePrincipal": GrantHarness.ops])["Grants"]
                as? [[String: Any]])
        #expect(byGrantee.compactMap { $0["GrantId"] as? String } == [ids[1], ids[3]])
        let byID = try #require(
            try g.ok(0, "ListGrants", ["KeyId": key, "GrantId": ids[2].uppercased()])["Grants"] as? [[String: Any]])
        #expect(byID.compactMap { $0["GrantId"] as? String } == [ids[2]])
        let retirable = try g.ok(0, "ListRetirableGrants", ["RetiringPrincipal": GrantHarness.ops, "Limit": 3])
        #expect((retirable["Grants"] as? [[String: Any]])?.compactMap { $0["GrantId"] as? String } == Array(ids[0..<3]))
        #expect(retirable["Truncated"] as? Bool == true)
        // ListRetirableGrants is authorized on the principal, by policy only.
        #expect(g.code(1002, "ListRetirableGrants", ["RetiringPrincipal": GrantHarness.ops]) == "AccessDeniedException")
        #expect(
            (try g.ok(0, "ListRetirableGrants", ["RetiringPrincipal": GrantHarness.app])["Grants"] as? [Any])?.isEmpty
                == true)
    }

    @Test func grantsOutliveARestartAndGoWithTheirKey() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let (id, _) = try g.grant(key, ["Encrypt"], ["Constraints": ["EncryptionContextEquals": ["app": "x"]]])
        // A second KMS on the same store: what a restarted daemon loads.
        let restarted = try KMS(store: g.h.store, rootKey: g.h.root, clock: g.h.clock)
        #expect(restarted.grants[KeyAddress(try #require(KeyID(key)), in: .home)]?.map(\.id) == [id])
        #expect(restarted.grantKeys[id] != nil)
        _ = try g.h.ok("ScheduleKeyDeletion", ["KeyId": key, "PendingWindowInDays": 7])
        // A key pending deletion keeps its grants and still lists them.
        #expect(try g.grants(key).count == 1)
        g.h.clock.advance(by: 7 * 86_400)
        #expect(try g.h.kms.purgeDeletedKeys() == 1)
        #expect(g.h.kms.grantKeys[id] == nil)
        #expect(try g.h.store.loadGrants().isEmpty)
        #expect(g.code(0, "ListGrants", ["KeyId": key]) == "NotFoundException")
    }

    @Test func aResetDeletesEveryGrant() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        let (id, token) = try g.grant(key, ["Encrypt"], ["RetiringPrincipal": GrantHarness.ops])
        try g.h.kms.reset()
        #expect(g.h.kms.grantKeys[id] == nil)
        #expect(try g.h.store.loadGrants().isEmpty)
        #expect(g.code(1002, "RetireGrant", ["GrantToken": token]) == "NotFoundException")
        #expect(
            (try g.ok(0, "ListRetirableGrants", ["RetiringPrincipal": GrantHarness.ops])["Grants"] as? [Any])?.isEmpty
                == true)
    }

    @Test func aGroupTheConfigMapsAnARNToCountsToo() throws {
        let g = try GrantHarness()
        let key = try g.h.createKey()
        _ = try g.grant(key, ["Encrypt"], ["GranteePrincipal": GrantHarness.ops])
        let wire = KMS.operations["Encrypt"]!
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012",
            principal: .process(pid: 10, uid: 1005, gid: 50, startTime: 1),
            authorization: Authorization(principals: ["uid:1005", "gid:50", "group:ops"], policy: GrantHarness.policy),
            action: wire.action)
        #expect(throws: Never.self) {
            try callOperation(wire, on: g.h.kms, ["KeyId": key, "Plaintext": "aGk="], context: context).get()
        }
    }
}
