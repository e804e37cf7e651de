import Foundation
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@Suite struct PolicyTests {
    static let config = """
        leases:
          defaultTtlSeconds: 60
          maxTtlSeconds: 600
          maxActive: 10
          maxActivePerOwner: 4
        policy:
          - principals: ["group:lambda", "uid:1001", "access-key:handlers"]
            allow: ["lease:*", "ssm:GetParameter*", "kms:Decrypt"]
            resources: ["/app/*", "alias/app"]
          - principals: ["uid:0"]
            allow: ["*"]
            resources: ["*"]
        """

    @Test func parsesTheDocumentedShape() throws {
        let config = try SealboxConfig.parse(Self.config, origin: "test.yaml")
        #expect(
            config.leases
                == LeaseSettings(defaultTtlSeconds: 60, maxTtlSeconds: 600, maxActive: 10, maxActivePerOwner: 4))
        let policy = try #require(config.policy)
        #expect(policy.allows(["uid:1001"], action: "ssm:GetParameter", resources: ["/app/db/password"]))
        #expect(policy.allows(["group:lambda"], action: "ssm:GetParametersByPath", resources: ["/app/*"]))
        #expect(policy.allows(["access-key:handlers"], action: "lease:Redeem", resources: ["/app/x"]))
        #expect(!policy.allows(["uid:1001"], action: "ssm:PutParameter", resources: ["/app/x"]))
        #expect(!policy.allows(["uid:1001"], action: "ssm:GetParameter", resources: ["/other/x"]))
        #expect(!policy.allows(["uid:1001"], action: "ssm:GetParameter", resources: ["/app/x", "/other/x"]))
        #expect(!policy.allows(["uid:1002"], action: "ssm:GetParameter", resources: ["/app/x"]))
        #expect(policy.allows(["uid:0"], action: "admin:RevokeLeases", resources: []))
        #expect(!policy.allows(["uid:1001"], action: "admin:ListLeases", resources: []))
    }

    @Test func awsPrincipalsMapARNsToPolicyPrincipals() throws {
        let config = try SealboxConfig.parse(
            """
            aws:
              regions: [on-prem-1]
              principals:
                "arn:aws:iam::123456789012:role/app": "uid:1000"
                "arn:aws:sts::123456789012:assumed-role/ops/session": ["access-key:ops", "group:wheel"]
                "dynamodb.us-east-1.amazonaws.com": token
            """, origin: "test.yaml")
        #expect(config.regions == ["on-prem-1"])
        #expect(
            config.awsPrincipals == [
                "arn:aws:iam::123456789012:role/app": ["uid:1000"],
                "arn:aws:sts::123456789012:assumed-role/ops/session": ["access-key:ops", "group:wheel"],
                "dynamodb.us-east-1.amazonaws.com": ["token"],
            ])
        let policy = Policy(rules: [], awsPrincipals: config.awsPrincipals)
        let app = Authorization(principals: ["uid:1000", "gid:1000"], policy: policy)
        #expect(app.isCaller("arn:aws:iam::123456789012:role/app"))
        #expect(!app.isCaller("arn:aws:sts::123456789012:assumed-role/ops/session"))
        #expect(!app.isCaller("arn:aws:iam::123456789012:role/unmapped"))
        let wheel = Authorization(principals: ["uid:5", "group:wheel"], policy: policy)
        #expect(wheel.isCaller("arn:aws:sts::123456789012:assumed-role/ops/session"))
        // Names are matched exactly: a mapping is not a pattern.
        #expect(
            !Authorization(principals: ["uid:10000"], policy: policy).isCaller("arn:aws:iam::123456789012:role/app"))
    }

    @Test func everyServerKeyIsALimit() throws {
        let text = """
            server: {maxConnections: 3, maxHeaderBytes: 4096, maxHeaderCount: 20, maxBodyBytes: 512,
                     requestTimeoutSeconds: 5, idleTimeoutSeconds: 7}
            """
        let limits = try SealboxConfig.parse(text, origin: "test.yaml").limits
        #expect(limits.maxConnections == 3)
        #expect(limits.maxHeaderBytes == 4096)
        #expect(limits.maxHeaderCount == 20)
        #expect(limits.maxBodyBytes == 512)
        #expect(limits.requestTimeoutSeconds == 5)
        #expect(limits.idleTimeoutSeconds == 7)
        #expect(try SealboxConfig.parse("{}", origin: "test.yaml").limits == ServerLimits())
    }

    @Test(arguments: [
        ("surprise: 1", "unknown key 'surprise'"),
        ("leases: {maxTTL: 5}", "unknown key 'leases.maxTTL'"),
        ("leases: {maxActive: -1}", "must be a positive integer"),
        ("leases: {defaultTtlSeconds: 900, maxTtlSeconds: 600}", "must not exceed"),
        ("policy: [{principals: [\"someone\"], allow: [\"*\"], resources: [\"*\"]}]", "is not a principal"),
        ("policy: [{principals: [\"uid:1\"], allow: [\"Decrypt\"], resources: [\"*\"]}]", "is not an action"),
        ("policy: [{principals: [\"uid:1\"], allow: [\"*\"]}]", "needs principals, allow and resources"),
        ("accessKeys: [{id: AKIA1, principal: p}]", "needs id, secretFile and principal"),
        ("policy: [: bad", "not valid YAML"),
        ("aws: {principals: {\"uid:1000\": \"uid:1000\"}}", "is not an AWS principal"),
        ("aws: {principals: {\"arn:aws:iam::123456789012:role/app\": \"someone\"}}", "is not a policy principal"),
        ("aws: {principals: {\"arn:aws:iam::123456789012:role/app\": \"*\"}}", "is not a policy principal"),
        ("aws: {principals: {\"arn:aws:iam::123456789012:role/app\": []}}", "non-empty list"),
        ("aws: {principals: [\"arn:aws:iam::123456789012:role/app\"]}", "must be a mapping"),
        ("aws: {people: {}}", "unknown key 'aws.people'"),
        ("rotation: {handlers: {\"arn:aws:lambda:us-east-1:123456789012:function:f\": bin/rotate}}", "absolute path"),
        ("rotation: {handlers: {\"rotate-db\": /bin/rotate}}", "is not a Lambda function ARN"),
        ("rotation: {timeoutSeconds: 0}", "rotation.timeoutSeconds must be 1 to 900"),
        ("rotation: {retries: 2}", "unknown key 'rotation.retries'"),
        ("rotation: [a]", "rotation must be a mapping"),
    ])
    func refusesBadConfigWithThePlace(_ text: String, _ expected: String) {
        do {
            _ = try SealboxConfig.parse(text, origin: "bad.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains("bad.yaml"))
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func rotationHandlersAndTheirPrincipalParse() throws {
        let config = try SealboxConfig.parse(
            """
            rotation:
              timeoutSeconds: 60
              handlers: {"arn:aws:lambda:us-east-1:123456789012:function:rotate-db": /usr/libexec/rotate-db}
            policy:
              - {principals: ["rotation:rotate-db"], allow: ["secretsmanager:PutSecretValue"], resources: ["prod/*"]}
            """, origin: "test.yaml")
        #expect(config.rotation.timeoutSeconds == 60)
        #expect(
            config.rotation.handlers == [
                "arn:aws:lambda:us-east-1:123456789012:function:rotate-db": "/usr/libexec/rotate-db"
            ])
        let policy = try #require(config.policy)
        #expect(policy.allows(["rotation:rotate-db"], action: "secretsmanager:PutSecretValue", resources: ["prod/db"]))
        #expect(!policy.allows(["rotation:other"], action: "secretsmanager:PutSecretValue", resources: ["prod/db"]))
        let defaults = Policy.defaultPolicy(daemonUID: 1234)
        #expect(defaults.allows(["rotation:any"], action: "secretsmanager:PutSecretValue", resources: ["prod/db"]))
        #expect(!defaults.allows(["rotation:any"], action: "secretsmanager:DeleteSecret", resources: ["prod/db"]))
        #expect(!defaults.allows(["rotation:any"], action: "kms:Decrypt", resources: ["alias/app"]))
    }

    @Test func defaultPolicyTrustsOnlyTheDaemonAndRoot() {
        let policy = Policy.defaultPolicy(daemonUID: 1234)
        for principal in ["uid:0", "uid:1234", "access-key:daemon"] {
            #expect(policy.allows([principal], action: "admin:RevokeLeases", resources: ["anything"]))
        }
        #expect(policy.allows(["token"], action: "ssm:GetParameter", resources: ["/app/x"]))
        #expect(policy.allows(["token"], action: "lease:Redeem", resources: ["/app/x"]))
        #expect(!policy.allows(["token"], action: "ssm:PutParameter", resources: ["/app/x"]))
        #expect(!policy.allows(["token"], action: "admin:ListLeases", resources: []))
        #expect(!policy.allows(["uid:1001", "group:wheel"], action: "kms:Decrypt", resources: ["anything"]))
    }
}

@Suite struct AuthorizationTests {
    static func restricted(_ h: KMSHarness, _ policy: Policy, action: String) -> RequestContext {
        RequestContext(
            region: "us-east-1", accountID: "123456789012",
            principal: .process(pid: 1, uid: 1001, gid: 1001, startTime: 1),
            authorization: Authorization(principals: ["uid:1001"], policy: policy),
            action: Action(action, audited: true))
    }

    @Test func kmsDecryptIsGrantedThroughAnAlias() throws {
        let h = try KMSHarness()
        let app = try h.createKey()
        let other = try h.createKey()
        _ = try h.ok("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": app])
        let policy = Policy(rules: [.init(principals: ["uid:1001"], allow: ["kms:Decrypt"], resources: ["alias/app"])])
        let context = Self.restricted(h, policy, action: "kms:Decrypt")
        let decrypt = KMS.operations["Decrypt"]!
        let allowed = callOperation(decrypt, on: h.kms, ["CiphertextBlob": try h.encrypt(app, "ok")], context: context)
        #expect(try allowed.get()["Plaintext"] as? String == Base64.encode(Array("ok".utf8)))
        let denied = callOperation(
            decrypt, on: h.kms, ["CiphertextBlob": try h.encrypt(other, "canary-7f3a")], context: context)
        #expect(throws: AWSError.self) { try denied.get() }
        if case .failure(let error) = denied {
            #expect(error.type == "AccessDeniedException")
            #expect(!error.message.contains("canary-7f3a"))
        }
        let encrypt = callOperation(
            KMS.operations["Encrypt"]!, on: h.kms, ["KeyId": "alias/app", "Plaintext": "eA=="],
            context: Self.restricted(h, policy, action: "kms:Encrypt"))
        if case .failure(let error) = encrypt {
            #expect(error.type == "AccessDeniedException")
        } else {
            Issue.record("Encrypt allowed")
        }
    }

    @Test func ssmReadsAreLimitedToThePath() throws {
        let h = try SSMHarness()
        try h.put("/app/db", "visible", type: "SecureString")
        try h.put("/other/db", "hidden")
        let policy = Policy(rules: [
            .init(principals: ["uid:1001"], allow: ["ssm:GetParameter*"], resources: ["/app/*"])
        ])
        func run(_ operation: String, _ body: [String: Any]) -> Result<[String: Any], AWSError> {
            callOperation(
                SSM.operations[operation]!, on: h.ssm, body,
                context: Self.restricted(h.kmsHarness, policy, action: "ssm:\(operation)"))
        }
        #expect(
            try
                ((run("GetParameter", ["Name": "/app/db", "WithDecryption": true]).get()["Parameter"]) as? [String: Any])?[
                    "Value"] as? String == "visible")
        for result in [
            run("GetParameter", ["Name": "/other/db"]), run("GetParameters", ["Names": ["/app/db", "/other/db"]]),
            run("GetParametersByPath", ["Path": "/"]),
            run("PutParameter", ["Name": "/app/new", "Value": "x", "Type": "String"]),
            run("DescribeParameters", [:]),
        ] {
            guard case .failure(let error) = result else {
                Issue.record("allowed: \(result)")
                continue
            }
            #expect(error.type == "AccessDeniedException")
        }
        #expect(throws: Never.self) { try run("GetParametersByPath", ["Path": "/app"]).get() }
    }
}
