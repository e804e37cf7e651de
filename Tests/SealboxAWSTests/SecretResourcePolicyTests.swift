import Testing

@testable import SealboxAWS
@testable import SealboxCore

/// How a secret's resource policy document is read and matched.
@Suite struct SecretResourcePolicyTests {
    @Test(arguments: [
        ("secretsmanager:*", "secretsmanager:GetSecretValue", true),
        ("SecretsManager:getsecretvalue", "secretsmanager:GetSecretValue", true),
        ("secretsmanager:Get*", "secretsmanager:GetSecretValue", true),
        ("secretsmanager:Get*", "secretsmanager:PutSecretValue", false),
        ("secretsmanager:*Value", "secretsmanager:PutSecretValue", true),
        ("*", "secretsmanager:DeleteSecret", true),
        ("secretsmanager:Describe", "secretsmanager:DescribeSecret", false),
        ("secretsmanager:*Secret*", "secretsmanager:ListSecretVersionIds", true),
    ])
    func actionPatterns(_ pattern: String, _ action: String, _ expected: Bool) {
        #expect(SecretResourcePolicy.matches(pattern, action) == expected)
    }

    @Test func statementsAreReadAsEnforced() throws {
        let (policy, findings) = try SecretPolicyDocument.read(
            """
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:role/app"]},
               "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
              {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*",
               "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}},
              {"Effect": "Deny", "Principal": "*", "Action": ["secretsmanager:DeleteSecret"], "Resource": "*",
               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
            """)
        #expect(findings.isEmpty)
        // The conditional Allow is dropped (it would grant too much), the conditional Deny kept.
        #expect(
            policy.statements == [
                .init(
                    allow: true, principals: ["111122223333", "arn:aws:iam::444455556666:role/app"],
                    actions: ["secretsmanager:GetSecretValue"]),
                .init(allow: false, principals: ["*"], actions: ["secretsmanager:DeleteSecret"]),
            ])
        #expect(!policy.isPublic)
    }

    @Test func aTextThatIsNotAnObjectThrows() {
        for text in ["", "[]", "{", "\"policy\""] {
            #expect(throws: SealboxError.self) { try SecretPolicyDocument.read(text) }
        }
    }
}
