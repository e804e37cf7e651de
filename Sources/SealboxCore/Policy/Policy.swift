/// Who may do what: rules granting actions on resources to principals.
///
/// Principals are written `uid:1001`, `gid:100`, `user:name`, `group:name`, `access-key:<principal>`
/// (the principal an access key maps to), `token` (the extension token on TCP) or `*`. Actions are
/// `<service>:<Operation>` (`kms:Decrypt`, `ssm:GetParameter`, `lease:Create`, `admin:RevokeLeases`),
/// resources parameter names, key ids, key ARNs or aliases; both may end in `*` to match a prefix.
public struct Policy: Sendable, Equatable {
    /// One grant.
    public struct Rule: Sendable, Equatable, Codable {
        public var principals: [String]
        public var allow: [String]
        public var resources: [String]

        /// - Parameters:
        ///   - principals: who.
        ///   - allow: which actions.
        ///   - resources: on what.
        public init(principals: [String], allow: [String], resources: [String]) {
            self.principals = principals
            self.allow = allow
            self.resources = resources
        }
    }

    public var rules: [Rule]
    /// The config's `aws.principals`: each AWS principal ARN a KMS grant may name, with the
    /// principals above it stands for. A grant is enforced for the callers its grantee maps to.
    public var awsPrincipals: [String: [String]]

    /// - Parameters:
    ///   - rules: the grants; anything not granted is refused.
    ///   - awsPrincipals: AWS principal ARNs and the principals each stands for.
    public init(rules: [Rule], awsPrincipals: [String: [String]] = [:]) {
        self.rules = rules
        self.awsPrincipals = awsPrincipals
    }

    /// The policy without a config file: root, the daemon's own uid and its access key may do
    /// everything. The extension token (readable only by the daemon's user and group) may read
    /// parameters and secrets, decrypt (KMS ciphertexts and env tokens) and use leases, as the Lambda
    /// extension it stands in for: no writes, no admin. A rotation handler (`rotation:<function>`) may
    /// take the four rotation steps on any secret.
    /// - Parameter daemonUID: the daemon's uid.
    public static func defaultPolicy(daemonUID: UInt32) -> Policy {
        let rotationActions = [
            "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetRandomPassword",
        ]
        return Policy(rules: [
            Rule(principals: ["uid:0", "uid:\(daemonUID)", "access-key:daemon"], allow: ["*"], resources: ["*"]),
            Rule(
                principals: ["token"],
                allow: ["ssm:GetParameter*", "secretsmanager:GetSecretValue", "kms:Decrypt", "lease:*", "env:Decrypt"],
                resources: ["*"]),
            Rule(principals: ["rotation:*"], allow: rotationActions, resources: ["*"]),
        ])
    }

    /// Whether any rule grants `action` on every one of `resources` to one of `principals`.
    /// - Parameters:
    ///   - principals: every name the caller goes by.
    ///   - action: the action.
    ///   - resources: what it touches; an empty list means "no particular resource" (`*`).
    public func allows(_ principals: [String], action: String, resources: [String]) -> Bool {
        // No filtered copy of the rules: this runs on every request, and almost always for one resource.
        func applies(_ rule: Rule) -> Bool {
            rule.principals.contains { pattern in principals.contains { Self.matches(pattern, $0) } }
                && rule.allow.contains { Self.matches($0, action) }
        }
        let wanted = resources.isEmpty ? ["*"] : resources
        return wanted.allSatisfy { resource in
            rules.contains { rule in rule.resources.contains { Self.matches($0, resource) } && applies(rule) }
        }
    }

    /// `*` alone matches anything; a trailing `*` matches a prefix; otherwise the text must be equal.
    static func matches(_ pattern: String, _ value: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasSuffix("*") { return value.hasPrefix(pattern.dropLast()) }
        return pattern == value
    }
}

/// The caller's names for policy matching, and the policy in force for this request.
public struct Authorization: Sendable {
    /// Every name the caller goes by (`uid:…`, `group:…`, `access-key:…`, `token`).
    public let principals: [String]
    let policy: Policy?

    /// - Parameters:
    ///   - principals: the caller's names.
    ///   - policy: the policy; nil lets everything through (an ephemeral daemon without a config).
    public init(principals: [String], policy: Policy?) {
        self.principals = principals
        self.policy = policy
    }

    /// Lets everything through: for tests and ephemeral daemons without a config.
    public static let unrestricted = Authorization(principals: [], policy: nil)

    /// Whether `action` on `resources` is allowed.
    /// - Parameters:
    ///   - action: the action.
    ///   - resources: what it touches.
    public func allows(_ action: String, _ resources: [String]) -> Bool {
        policy?.allows(principals, action: action, resources: resources) ?? true
    }

    /// Whether the caller is one the AWS principal `arn` stands for, by the config's `aws.principals`.
    /// - Parameter arn: a grantee or retiring principal, as a grant names it.
    public func isCaller(_ arn: String) -> Bool {
        guard let names = policy?.awsPrincipals[arn] else { return false }
        return names.contains { principals.contains($0) }
    }
}
