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
    public var isSupported: Bool { materialLength != nil || asymmetric != nil }

    /// The type and size of an asymmetric key's material, for the specs Sealbox creates; nil for
    /// symmetric and HMAC keys and the specs it cannot create.
    public var asymmetric: AsymmetricKeySpec? {
        switch self {
        case .rsa2048: .rsa(bits: 2048)
        case .rsa3072: .rsa(bits: 3072)
        case .rsa4096: .rsa(bits: 4096)
        case .eccNistP256: .ec(.p256)
        case .eccNistP384: .ec(.p384)
        case .eccNistP521: .ec(.p521)
        case .eccSecgP256K1: .ec(.secp256k1)
        default: nil
        }
    }

    /// The spec of asymmetric material.
    /// - Parameter material: the type and size of a private key.
    public init?(_ material: AsymmetricKeySpec) {
        guard let spec = Self.allCases.first(where: { $0.asymmetric == material }) else { return nil }
        self = spec
    }

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
    /// and for HMAC keys as long as the digest. Nil for asymmetric keys (PKCS#8 DER, of no fixed
    /// length) and the specs Sealbox cannot create.
    public var materialLength: Int? {
        switch self {
        case .symmetricDefault: 32
        case .hmac224, .hmac256, .hmac384, .hmac512: macAlgorithm?.hash.length
        default: nil
        }
    }

    /// The lengths AWS accepts for imported HMAC key material: from the digest's length up to the
    /// hash's block size; nil for other specs, whose material has one form.
    public var importedMaterialLengths: ClosedRange<Int>? {
        switch self {
        case .hmac224: 28...64
        case .hmac256: 32...64
        case .hmac384: 48...128
        case .hmac512: 64...128
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

    /// The signing algorithms AWS lists for the spec under `usage`, in AWS's order; empty when it
    /// signs nothing.
    /// - Parameter usage: the key's usage.
    public func signingAlgorithms(_ usage: KeyUsage) -> [SigningAlgorithm] {
        guard usage == .signVerify else { return [] }
        switch self {
        case .rsa2048, .rsa3072, .rsa4096:
            return [
                .rsassaPSSSHA256, .rsassaPSSSHA384, .rsassaPSSSHA512, .rsassaPKCS1SHA256, .rsassaPKCS1SHA384,
                .rsassaPKCS1SHA512,
            ]
        case .eccNistP256, .eccSecgP256K1: return [.ecdsaSHA256]
        case .eccNistP384: return [.ecdsaSHA384]
        case .eccNistP521: return [.ecdsaSHA512]
        default: return []
        }
    }

    /// The key agreement algorithms AWS lists for the spec under `usage`: ECDH for the NIST curves.
    /// - Parameter usage: the key's usage.
    public func keyAgreementAlgorithms(_ usage: KeyUsage) -> [String] {
        usage == .keyAgreement && asymmetric != nil ? ["ECDH"] : []
    }

    /// The RSAES-OAEP hashes an RSA key encrypts with, by AWS's algorithm names.
    public static let oaepAlgorithms: [String: OAEPHash] = ["RSAES_OAEP_SHA_1": .sha1, "RSAES_OAEP_SHA_256": .sha256]

    /// The longest plaintext an RSA key of this spec encrypts under `hash`, as AWS's limits (the
    /// modulus less twice the hash less two bytes); nil for other keys.
    /// - Parameter hash: the OAEP hash.
    public func oaepPlaintextLimit(_ hash: OAEPHash) -> Int? {
        asymmetric?.modulusBytes.map { $0 - 2 * hash.length - 2 }
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
                "Sealbox does not create \(rawValue) keys; it creates "
                    + Self.allCases.filter(\.isSupported).map(\.rawValue).joined(separator: ", ") + " keys."
            )
        }
    }
}
