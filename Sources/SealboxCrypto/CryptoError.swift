/// An error from the crypto layer.
///
/// Messages never contain key material or plaintext.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case sodiumUnavailable
        case invalidKeyLength
        case malformedToken
        case unsupportedVersion
        case authenticationFailed
        case expired
        case invalidEncoding
        case libcrypto
        case invalidKey
    }

    private let code: Code
    /// A human-readable reason, safe to log.
    public let reason: String

    private init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    /// libsodium could not be initialised.
    public static let sodiumUnavailable = CryptoError(.sodiumUnavailable, "libsodium could not be initialised")
    /// A key had the wrong length.
    public static func invalidKeyLength(expected: Int, got: Int) -> CryptoError {
        CryptoError(.invalidKeyLength, "key must be \(expected) bytes, got \(got)")
    }
    /// A token was truncated or structurally invalid.
    public static func malformedToken(_ why: String) -> CryptoError { CryptoError(.malformedToken, why) }
    /// A token's version byte is not one this build understands.
    public static let unsupportedVersion = CryptoError(.unsupportedVersion, "unsupported token version")
    /// The MAC did not verify: wrong key, wrong context or a modified token.
    public static let authenticationFailed = CryptoError(.authenticationFailed, "authentication failed")
    /// A token is older than its allowed TTL, or dated too far in the future.
    public static let expired = CryptoError(.expired, "token expired or not yet valid")
    /// Text that should have been base64 (or hex) was not.
    public static let invalidEncoding = CryptoError(.invalidEncoding, "invalid encoding")
    /// A libcrypto call failed.
    public static func libcrypto(_ call: String) -> CryptoError { CryptoError(.libcrypto, "\(call) failed") }
    /// Key bytes (DER, PEM) that do not parse, or a key of a type or size Sealbox does not use.
    public static func invalidKey(_ why: String) -> CryptoError { CryptoError(.invalidKey, why) }
    /// Whether this error means the key bytes were malformed or of an unsupported type.
    public var isInvalidKey: Bool { code == .invalidKey }

    /// Whether this error means "the ciphertext is not valid for this key and context",
    /// as opposed to an operational failure.
    public var isInvalidCiphertext: Bool {
        switch code {
        case .malformedToken, .unsupportedVersion, .authenticationFailed, .expired, .invalidEncoding: true
        default: false
        }
    }
}
