import SealboxCrypto

/// A MAC algorithm of an HMAC KMS key, as AWS names it (`MacAlgorithm`).
public enum MacAlgorithm: String, Codable, Sendable, CaseIterable {
    case hmacSHA224 = "HMAC_SHA_224"
    case hmacSHA256 = "HMAC_SHA_256"
    case hmacSHA384 = "HMAC_SHA_384"
    case hmacSHA512 = "HMAC_SHA_512"

    /// The hash under the HMAC.
    public var hash: HMAC.Hash {
        switch self {
        case .hmacSHA224: .sha224
        case .hmacSHA256: .sha256
        case .hmacSHA384: .sha384
        case .hmacSHA512: .sha512
        }
    }
}
