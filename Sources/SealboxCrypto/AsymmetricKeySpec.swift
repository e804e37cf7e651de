import CLibCrypto

/// The asymmetric key types Sealbox makes and reads: RSA of the three sizes KMS has, the four
/// elliptic curves, and Ed25519 (data key pairs only).
public enum AsymmetricKeySpec: Hashable, Sendable {
    case rsa(bits: Int)
    case ec(EllipticCurve)
    case ed25519

    /// The RSA modulus sizes KMS offers.
    public static let rsaSizes = [2048, 3072, 4096]

    /// The length of an RSA modulus in bytes; nil for other keys.
    public var modulusBytes: Int? {
        if case .rsa(let bits) = self { return bits / 8 }
        return nil
    }
}

/// An elliptic curve KMS offers.
public enum EllipticCurve: Hashable, Sendable, CaseIterable {
    case p256, p384, p521, secp256k1

    var nid: Int32 {
        switch self {
        case .p256: NID_X9_62_prime256v1
        case .p384: NID_secp384r1
        case .p521: NID_secp521r1
        case .secp256k1: NID_secp256k1
        }
    }

    /// The curve libcrypto names `name` (its group name).
    init?(groupName name: String) {
        switch name {
        case "prime256v1", "P-256", "secp256r1": self = .p256
        case "secp384r1", "P-384": self = .p384
        case "secp521r1", "P-521": self = .p521
        case "secp256k1": self = .secp256k1
        default: return nil
        }
    }
}

/// How a signature is made, with the hash of the message it signs.
public enum SignatureScheme: Hashable, Sendable {
    /// RSASSA-PSS with MGF1 over the same hash and a salt as long as the digest, as KMS signs.
    case rsaPSS(SHA2)
    /// RSASSA-PKCS1-v1_5.
    case rsaPKCS1(SHA2)
    /// ECDSA, the signature DER-encoded (`ECDSA-Sig-Value`).
    case ecdsa(SHA2)

    /// The hash of the message.
    public var hash: SHA2 {
        switch self {
        case .rsaPSS(let hash), .rsaPKCS1(let hash), .ecdsa(let hash): hash
        }
    }
}

/// The hash of RSAES-OAEP, used for the label and MGF1 alike, as KMS's `RSAES_OAEP_SHA_*`.
public enum OAEPHash: Hashable, Sendable {
    case sha1, sha256

    var evp: OpaquePointer {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        }
    }

    /// The digest's length in bytes.
    public var length: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        }
    }
}
