import CLibCrypto

/// SHA-256 and HMAC-SHA256 through libcrypto.
public enum Digest {
    /// The SHA-256 of `bytes`.
    /// - Parameter bytes: the input.
    public static func sha256(_ bytes: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { digest in
                _ = SHA256(
                    (input.baseAddress ?? UnsafeRawPointer(digest.baseAddress!)).assumingMemoryBound(to: UInt8.self),
                    input.count, digest.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return out
    }

    /// HMAC-SHA256 of `message` under `key`, into an ordinary array (for public MACs).
    /// - Parameters:
    ///   - key: the MAC key.
    ///   - message: the input.
    public static func hmacSHA256(key: some ContiguousBytes, _ message: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { hmacSHA256(key: key, message, into: $0) }
        return out
    }

    /// HMAC-SHA256 of `message` under `key` into guarded memory (for derived keys).
    /// - Parameters:
    ///   - key: the MAC key.
    ///   - message: the input.
    public static func hmacSHA256Secure(key: some ContiguousBytes, _ message: some ContiguousBytes) -> SecureBytes {
        try! SecureBytes(count: 32) { hmacSHA256(key: key, message, into: $0) }
    }

    private static func hmacSHA256(
        key: some ContiguousBytes,
        _ message: some ContiguousBytes,
        into out: UnsafeMutableRawBufferPointer
    ) {
        var length: UInt32 = 32
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                let placeholder = out.baseAddress!
                _ = HMAC(
                    EVP_sha256(), k.baseAddress ?? UnsafeRawPointer(placeholder), Int32(k.count),
                    (m.baseAddress ?? UnsafeRawPointer(placeholder)).assumingMemoryBound(to: UInt8.self), m.count,
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
            }
        }
    }
}
