/// An operation a KMS grant may allow, as the model's `GrantOperation` enum names it. The raw value
/// is the operation's name, so a request's action (`kms:<name>`) finds its grant operation without
/// a table: operations added later are covered as soon as they call ``KMS/authorize(_:_:as:encryptionContext:)``.
public enum GrantOperation: String, Codable, Sendable, CaseIterable {
    case decrypt = "Decrypt"
    case encrypt = "Encrypt"
    case generateDataKey = "GenerateDataKey"
    case generateDataKeyWithoutPlaintext = "GenerateDataKeyWithoutPlaintext"
    case reEncryptFrom = "ReEncryptFrom"
    case reEncryptTo = "ReEncryptTo"
    case sign = "Sign"
    case verify = "Verify"
    case getPublicKey = "GetPublicKey"
    case createGrant = "CreateGrant"
    case retireGrant = "RetireGrant"
    case describeKey = "DescribeKey"
    case generateDataKeyPair = "GenerateDataKeyPair"
    case generateDataKeyPairWithoutPlaintext = "GenerateDataKeyPairWithoutPlaintext"
    case generateMac = "GenerateMac"
    case verifyMac = "VerifyMac"
    case deriveSharedSecret = "DeriveSharedSecret"

    /// The grant operation a policy action stands for: `kms:Decrypt` is `Decrypt`. Nil for actions
    /// of other services and for KMS operations no grant can allow (ListGrants, RevokeGrant...).
    /// - Parameter action: the request's action.
    public init?(action: Action) {
        guard action.name.hasPrefix("kms:") else { return nil }
        self.init(rawValue: String(action.name.dropFirst(4)))
    }

    /// Whether the operation takes an encryption context, so that a grant constraint applies to it.
    public var takesEncryptionContext: Bool {
        switch self {
        case .decrypt, .encrypt, .generateDataKey, .generateDataKeyWithoutPlaintext, .reEncryptFrom, .reEncryptTo,
            .generateDataKeyPair, .generateDataKeyPairWithoutPlaintext:
            true
        default: false
        }
    }

    /// Whether a grant constraint may go with this operation: those taking an encryption context,
    /// and DescribeKey, RetireGrant and CreateGrant, to which the constraint does not apply (AWS's
    /// rule; a CreateGrant allowed by a constrained grant must pass the constraint on).
    public var allowsConstraint: Bool {
        takesEncryptionContext || self == .describeKey || self == .retireGrant || self == .createGrant
    }

    /// Whether a key of `spec` and `usage` supports the operation, as AWS's key type table says:
    /// grants for an operation the key cannot do are refused.
    /// - Parameters:
    ///   - spec: the key's spec.
    ///   - usage: the key's usage.
    public func isSupported(by spec: KeySpec, _ usage: KeyUsage) -> Bool {
        switch self {
        case .describeKey, .createGrant, .retireGrant: true
        case .encrypt, .decrypt, .reEncryptFrom, .reEncryptTo: usage == .encryptDecrypt
        case .generateDataKey, .generateDataKeyWithoutPlaintext, .generateDataKeyPair,
            .generateDataKeyPairWithoutPlaintext:
            spec == .symmetricDefault
        case .sign, .verify: usage == .signVerify
        case .getPublicKey: spec != .symmetricDefault && spec.macAlgorithm == nil
        case .generateMac, .verifyMac: usage == .generateVerifyMac
        case .deriveSharedSecret: usage == .keyAgreement
        }
    }
}
