/// A grant's encryption context constraint (`GrantConstraints`): the grant allows an operation that
/// takes an encryption context only when the request's context includes these pairs (subset) or is
/// exactly these pairs (equals). As the model documents, keys compare without case and values with it.
public struct GrantConstraint: Codable, Sendable, Hashable {
    /// Which of the two constraints, named as on the wire.
    public enum Kind: String, Codable, Sendable, Hashable {
        case subset = "EncryptionContextSubset"
        case equals = "EncryptionContextEquals"
    }

    public var kind: Kind
    /// The pairs, as the grant was created with them.
    public var context: [String: String]

    /// Most pairs one constraint may hold, as AWS limits them.
    public static let maxPairs = 8
    /// Longest value (in characters) a constraint's pair may have, as AWS limits it.
    public static let maxValueLength = 384

    /// - Parameters:
    ///   - kind: subset or equals.
    ///   - context: the pairs.
    public init(_ kind: Kind, _ context: [String: String]) {
        self.kind = kind
        self.context = context
    }

    /// One pair as constraints compare it: the key folded to lower case.
    private struct Pair: Hashable {
        let key: String
        let value: String
    }

    private static func pairs(_ context: [String: String]) -> Set<Pair> {
        Set(context.map { Pair(key: $0.key.lowercased(), value: $0.value) })
    }

    /// Whether a request with this encryption context passes the constraint.
    /// - Parameter request: the request's encryption context (empty when it sent none).
    public func isSatisfied(by request: [String: String]) -> Bool {
        let required = Self.pairs(context)
        let given = Self.pairs(request)
        return kind == .subset ? required.isSubset(of: given) : required == given
    }

    /// Whether every request that passes `child` passes `parent` too: a grantee whose CreateGrant
    /// comes from a constrained grant may only create grants as strict or stricter. A subset may
    /// gain pairs or become equals; equals stays equals with the same pairs.
    /// - Parameters:
    ///   - child: the new grant's constraint.
    ///   - parent: the constraint of the grant that allows creating it.
    public static func isAtLeastAsStrict(_ child: GrantConstraint?, as parent: GrantConstraint?) -> Bool {
        guard let parent else { return true }
        guard let child else { return false }
        switch child.kind {
        case .equals:
            // Only a request with exactly the child's pairs passes it.
            return parent.isSatisfied(by: child.context)
        case .subset:
            return parent.kind == .subset && pairs(parent.context).isSubset(of: pairs(child.context))
        }
    }

    /// The first limit the constraint breaks, worded for a `ValidationException`; nil if none.
    public var violation: String? {
        if context.count > Self.maxPairs {
            return "\(kind.rawValue) may hold at most \(Self.maxPairs) encryption context pairs."
        }
        if let long = context.first(where: { $0.value.count > Self.maxValueLength }) {
            return
                "The value of '\(long.key)' in \(kind.rawValue) is longer than \(Self.maxValueLength) characters."
        }
        return nil
    }
}
