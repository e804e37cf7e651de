import SealboxCrypto

/// A signing algorithm, as AWS names it (`SigningAlgorithmSpec`): every one AWS has, of which
/// Sealbox signs with those that have a ``scheme``.
public enum SigningAlgorithm: String, Codable, Sendable, CaseIterable {
    case rsassaPSSSHA256 = "RSASSA_PSS_SHA_256"
    case rsassaPSSSHA384 = "RSASSA_PSS_SHA_384"
    case rsassaPSSSHA512 = "RSASSA_PSS_SHA_512"
    case rsassaPKCS1SHA256 = "RSASSA_PKCS1_V1_5_SHA_256"
    case rsassaPKCS1SHA384 = "RSASSA_PKCS1_V1_5_SHA_384"
    case rsassaPKCS1SHA512 = "RSASSA_PKCS1_V1_5_SHA_512"
    case ecdsaSHA256 = "ECDSA_SHA_256"
    case ecdsaSHA384 = "ECDSA_SHA_384"
    case ecdsaSHA512 = "ECDSA_SHA_512"
    case sm2dsa = "SM2DSA"
    case mlDSAShake256 = "ML_DSA_SHAKE_256"
    case ed25519SHA512 = "ED25519_SHA_512"
    case ed25519PHSHA512 = "ED25519_PH_SHA_512"

    /// How libcrypto signs with it; nil for the algorithms of key specs Sealbox does not create.
    public var scheme: SignatureScheme? {
        switch self {
        case .rsassaPSSSHA256: .rsaPSS(.sha256)
        case .rsassaPSSSHA384: .rsaPSS(.sha384)
        case .rsassaPSSSHA512: .rsaPSS(.sha512)
        case .rsassaPKCS1SHA256: .rsaPKCS1(.sha256)
        case .rsassaPKCS1SHA384: .rsaPKCS1(.sha384)
        case .rsassaPKCS1SHA512: .rsaPKCS1(.sha512)
        case .ecdsaSHA256: .ecdsa(.sha256)
        case .ecdsaSHA384: .ecdsa(.sha384)
        case .ecdsaSHA512: .ecdsa(.sha512)
        case .sm2dsa, .mlDSAShake256, .ed25519SHA512, .ed25519PHSHA512: nil
        }
    }
}
