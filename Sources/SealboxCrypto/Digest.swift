import CSodium

/// SHA-256 and HMAC-SHA256 through libsodium, whose one-shot calls cost far less per call than
/// OpenSSL 3's (no provider lookup), which matters for SigV4 and the audit chain on every request.
public enum Digest {
    /// The SHA-256 of `bytes`.
    /// - Parameter bytes: the input.
    public static func sha256(_ bytes: some ContiguousBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { digest in
                _ = crypto_hash_sha256(
                    digest.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    (input.baseAddress ?? UnsafeRawPointer(digest.baseAddress!)).assumingMemoryBound(to: UInt8.self),
                    UInt64(input.count))
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
        var state = crypto_auth_hmacsha256_state()
        key.withUnsafeBytes { k in
            let keyStart = k.baseAddress ?? UnsafeRawPointer(out.baseAddress!)
            _ = crypto_auth_hmacsha256_init(&state, keyStart.assumingMemoryBound(to: UInt8.self), k.count)
        }
        message.withUnsafeBytes { m in
            if let base = m.baseAddress {
                _ = crypto_auth_hmacsha256_update(&state, base.assumingMemoryBound(to: UInt8.self), UInt64(m.count))
            }
        }
        _ = crypto_auth_hmacsha256_final(&state, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        // The state holds key-derived pads.
        withUnsafeMutableBytes(of: &state) { Sodium.zero($0) }
    }
}
