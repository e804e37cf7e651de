import SealboxCrypto

/// A KMS grant as it is stored: who may use which key for which operations, under what constraint.
/// Grants are kept as created; retiring or revoking one deletes it.
public struct GrantRecord: Codable, Sendable, Hashable {
    /// 64 lowercase hex digits, as AWS's grant ids.
    public var id: String
    /// The key, in its account and region: the grant's own.
    public var key: KeyAddress
    /// The optional name that makes CreateGrant idempotent.
    public var name: String?
    public var created: Double
    /// The principal ARN (or service principal) given the operations, stored as given.
    public var grantee: String
    /// The principal that may retire the grant, stored as given.
    public var retiring: String?
    /// In the order given, each once.
    public var operations: [GrantOperation]
    public var constraint: GrantConstraint?

    /// - Parameters:
    ///   - id: the grant id, 64 hex digits.
    ///   - key: the key the grant is for.
    ///   - name: the grant's name, if any.
    ///   - created: when it was made.
    ///   - grantee: the grantee principal.
    ///   - retiring: the retiring principal, if any.
    ///   - operations: what it allows.
    ///   - constraint: its encryption context constraint, if any.
    public init(
        id: String, key: KeyAddress, name: String?, created: Double, grantee: String, retiring: String?,
        operations: [GrantOperation], constraint: GrantConstraint?
    ) {
        self.id = id
        self.key = key
        self.name = name
        self.created = created
        self.grantee = grantee
        self.retiring = retiring
        self.operations = operations
        self.constraint = constraint
    }

    enum CodingKeys: String, CodingKey {
        case id
        case keyID = "keyId"
        case name, created, grantee, retiring, operations, constraint, account, region
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let keyText = try container.decode(String.self, forKey: .keyID)
        guard let keyID = KeyID(keyText) else {
            throw DecodingError.dataCorruptedError(forKey: .keyID, in: container, debugDescription: "not a key id")
        }
        self.init(
            id: try container.decode(String.self, forKey: .id),
            key: KeyAddress(
                keyID,
                in: Scope(
                    account: try container.decode(String.self, forKey: .account),
                    region: try container.decode(String.self, forKey: .region))),
            name: try container.decodeIfPresent(String.self, forKey: .name),
            created: try container.decode(Double.self, forKey: .created),
            grantee: try container.decode(String.self, forKey: .grantee),
            retiring: try container.decodeIfPresent(String.self, forKey: .retiring),
            operations: try container.decode([GrantOperation].self, forKey: .operations),
            constraint: try container.decodeIfPresent(GrantConstraint.self, forKey: .constraint))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(keyID.description, forKey: .keyID)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encode(created, forKey: .created)
        try container.encode(grantee, forKey: .grantee)
        try container.encodeIfPresent(retiring, forKey: .retiring)
        try container.encode(operations, forKey: .operations)
        try container.encodeIfPresent(constraint, forKey: .constraint)
        try container.encode(key.scope.account, forKey: .account)
        try container.encode(key.scope.region, forKey: .region)
    }

    /// A fresh grant id: 32 random bytes in hex.
    public static func newID() -> String { Hex.encode(Sodium.randomBytes(32)) }

    /// Whether `text` has the form of a grant id: 64 hex digits.
    /// - Parameter text: the id to check.
    public static func isWellFormedID(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { Hex.value(ofDigit: $0) != nil }
    }

    /// Whether a CreateGrant request asks for this grant again: same key, name and parameters, the
    /// retry AWS answers with the existing grant's id.
    /// - Parameter other: the requested grant (its id and date do not count).
    public func isRetry(of other: GrantRecord) -> Bool {
        name != nil && name == other.name && key == other.key && grantee == other.grantee
            && retiring == other.retiring && Set(operations) == Set(other.operations) && constraint == other.constraint
    }

    public var keyID: KeyID { key.name }
    /// The account the grant was issued in: its key's.
    public var account: String { key.scope.account }

    /// `arn:aws:iam::<account>:root`, as `IssuingAccount` names it.
    public var issuingAccount: String { "arn:aws:iam::\(account):root" }
}
