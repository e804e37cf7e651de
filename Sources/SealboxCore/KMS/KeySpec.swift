import SealboxCrypto

/// The kind of material a KMS key holds, as AWS names it (`KeySpec`): every spec AWS has, of which
/// Sealbox creates those with ``isSupported``.
public enum KeySpec: String, Codable, Sendable, CaseIterable {
    case symmetricDefault = "SYMMETRIC_DEFAULT"
    case rsa2048 = "RSA_2048"
    case rsa3072 = "RSA_3072"
    case rsa4096 = "RSA_4096"
    case eccNistP256 = "ECC_NIST_P256"
    case eccNistP384 = "ECC_NIST_P384"
    case eccNistP521 = "ECC_NIST_P521"
    case eccSecgP256K1 = "ECC_SECG_P256K1"
    case eccNistEdwards25519 = "ECC_NIST_EDWARDS25519"
    case hmac224 = "HMAC_224"
    case hmac256 = "HMAC_256"
    case hmac384 = "HMAC_384"
    case hmac512 = "HMAC_512"
    case sm2 = "SM2"
    case mlDsa44 = "ML_DSA_44"
    case mlDsa65 = "ML_DSA_65"
    case mlDsa87 = "ML_DSA_87"

    /// Whether Sealbox can create keys of this spec today.
    public var isSupported: Bool { materialLength != nil }

    /// The usages AWS allows for keys of this spec.
    public var usages: [KeyUsage] {
        switch self {
        case .symmetricDefault: [.encryptDecrypt]
        case .rsa2048, .rsa3072, .rsa4096: [.encryptDecrypt, .signVerify]
        case .eccNistP256, .eccNistP384, .eccNistP521: [.signVerify, .keyAgreement]
        case .eccSecgP256K1, .eccNistEdwards25519, .mlDsa44, .mlDsa65, .mlDsa87: [.signVerify]
        case .hmac224, .hmac256, .hmac384, .hmac512: [.generateVerifyMac]
        case .sm2: [.encryptDecrypt, .signVerify, .keyAgreement]
        }
    }

    /// The length of the key material Sealbox generates, as AWS does: 32 bytes for symmetric keys,
    /// and for HMAC keys as long as the digest. Nil for the specs Sealbox cannot create.
    public var materialLength: Int? {
        switch self {
        case .symmetricDefault: 32
        case .hmac224, .hmac256, .hmac384, .hmac512: macAlgorithm?.hash.length
        default: nil
        }
    }

    /// The one MAC algorithm of an HMAC key; nil for other specs.
    public var macAlgorithm: MacAlgorithm? {
        switch self {
        case .hmac224: .hmacSHA224
        case .hmac256: .hmacSHA256
        case .hmac384: .hmacSHA384
        case .hmac512: .hmacSHA512
        default: nil
        }
    }

    /// The encryption algorithms AWS lists for the spec under `usage`; empty when it encrypts nothing.
    /// - Parameter usage: the key's usage.
    public func encryptionAlgorithms(_ usage: KeyUsage) -> [String] {
        guard usage == .encryptDecrypt else { return [] }
        switch self {
        case .symmetricDefault: return ["SYMMETRIC_DEFAULT"]
        case .rsa2048, .rsa3072, .rsa4096: return ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
        case .sm2: return ["SM2PKE"]
        default: return []
        }
    }

    /// Fails unless AWS allows `usage` with this spec, and Sealbox can create the spec.
    /// - Parameter usage: the requested usage.
    /// - Throws: `validation` for a pair AWS refuses; `unsupportedOperation` for a spec Sealbox
    ///   cannot create yet.
    public func check(_ usage: KeyUsage) throws(SealboxError) {
        guard usages.contains(usage) else {
            throw SealboxError.validation(
                "KeyUsage \(usage.rawValue) is not compatible with KeySpec \(rawValue); it allows "
                    + usages.map(\.rawValue).joined(separator: ", ") + ".")
        }
        guard isSupported else {
            throw SealboxError.unsupportedOperation(
                "Sealbox supports only SYMMETRIC_DEFAULT and HMAC_224, HMAC_256, HMAC_384, HMAC_512 keys, not \(rawValue)."
            )
        }
    }
}
