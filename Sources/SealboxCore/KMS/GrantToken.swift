import SealboxCrypto

/// A grant token, as CreateGrant returns it: base64 of a version byte, the grant id, 16 random
/// bytes (every CreateGrant answers with a new token, as AWS's do) and 8 bytes of SHA-256 over the
/// rest, so a mistyped or made-up token is refused rather than read.
///
/// A token only names a grant: it confers nothing. Grants take effect at once in Sealbox, so a
/// token is never needed to use one; RetireGrant takes one to name the grant to retire.
public enum GrantToken {
    private static let version: UInt8 = 1
    private static let idLength = 32
    private static let nonceLength = 16
    private static let checkLength = 8
    private static let length = 1 + idLength + nonceLength + checkLength

    /// Longest token the model allows (`GrantTokenType`).
    public static let maxLength = 8192
    /// Most tokens one request may carry (`GrantTokenList`).
    public static let maxCount = 10

    /// A new token for a grant.
    /// - Parameter grantID: the grant's id, 64 hex digits.
    public static func make(grantID: String) -> String {
        var bytes = [version] + (Hex.decode(grantID.utf8) ?? [])
        bytes += Sodium.randomBytes(nonceLength)
        bytes += Digest.sha256(bytes).prefix(checkLength)
        return Base64.encode(bytes)
    }

    /// The grant id a token names; nil when the text is not a Sealbox grant token.
    /// - Parameter token: the token.
    public static func grantID(of token: String) -> String? {
        guard token.utf8.count == Base64.encodedLength(length),
            let bytes = try? Base64.decode(Array(token.utf8)),
            bytes.count == length, bytes[0] == version,
            Digest.sha256(bytes.prefix(length - checkLength)).prefix(checkLength) == bytes.suffix(checkLength)
        else { return nil }
        return Hex.encode(bytes[1...idLength])
    }
}
