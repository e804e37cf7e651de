/// A secret's resource policy: the document as its owner wrote it, and the statements Sealbox
/// enforces, read from it once when it was put. It decides what callers of other accounts may do
/// with the secret (a caller of the secret's own account is governed by the daemon's policy), and
/// its `Deny` statements bind every caller.
public struct SecretResourcePolicy: Sendable, Hashable, Codable {
    /// One statement: who, what, and whether it allows or denies.
    public struct Statement: Sendable, Hashable, Codable {
        public var allow: Bool
        /// `*`, account ids, or IAM/STS principal ARNs as written.
        public var principals: [String]
        /// Action patterns: `secretsmanager:GetSecretValue`, `secretsmanager:Get*`, `*`.
        public var actions: [String]

        /// - Parameters: see the properties.
        public init(allow: Bool, principals: [String], actions: [String]) {
            self.allow = allow
            self.principals = principals
            self.actions = actions
        }
    }

    public var document: String
    public var statements: [Statement]

    /// - Parameters: see the properties.
    public init(document: String, statements: [Statement]) {
        self.document = document
        self.statements = statements
    }

    /// Whether an `Allow` names every caller.
    public var isPublic: Bool {
        statements.contains { $0.allow && $0.principals.contains("*") }
    }

    /// Whether a statement of this kind names the caller and the action.
    /// - Parameters:
    ///   - allow: `Allow` statements, or `Deny` ones.
    ///   - context: the caller, whose account and names the principals are matched against.
    ///   - action: the action.
    func names(allow: Bool, _ context: RequestContext, _ action: String) -> Bool {
        statements.contains { statement in
            statement.allow == allow && statement.actions.contains { Self.matches($0, action) }
                && statement.principals.contains { Self.isCaller($0, context) }
        }
    }

    /// `*`, the caller's account (its id or root ARN), or a principal ARN of the caller's account that
    /// the config's `aws.principals` maps to the caller.
    private static func isCaller(_ principal: String, _ context: RequestContext) -> Bool {
        if principal == "*" || principal == context.accountID { return true }
        let parts = principal.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[4] == context.accountID else { return false }
        return parts[5] == "root" || context.authorization.isCaller(principal)
    }

    /// An IAM action pattern: case-insensitive, with `*` matching any run of characters.
    static func matches(_ pattern: String, _ action: String) -> Bool {
        let pieces = pattern.lowercased().split(separator: "*", omittingEmptySubsequences: false)
        var rest = Substring(action.lowercased())
        for (index, piece) in pieces.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(piece) else { return false }
                rest = rest.dropFirst(piece.count)
            } else if index == pieces.count - 1 {
                return rest.hasSuffix(piece)
            } else {
                guard let found = rest.range(of: piece) else { return false }
                rest = rest[found.upperBound...]
            }
        }
        return rest.isEmpty
    }
}
