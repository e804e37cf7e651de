import CLibCrypto

/// AES key wrap with padding (RFC 5649) under a 256-bit key: the second half of KMS's
/// `RSA_AES_KEY_WRAP_SHA_*` import wrapping, which carries key material too long for RSA alone.
public enum AESKeyWrap {
    /// Unwraps into guarded memory.
    /// - Parameters:
    ///   - wrapped: the wrapped bytes, a multiple of 8 and at least 16.
    ///   - key: the 32-byte key-encryption key.
    /// - Throws: ``CryptoError/authenticationFailed`` when the integrity check fails.
    public static func unwrap(_ wrapped: some ContiguousBytes, key: SecureBytes) throws -> SecureBytes {
        try run(wrapped, key: key, encrypt: false)
    }

    /// Wraps `plaintext` (for tests and tools: the daemon only unwraps).
    /// - Parameters:
    ///   - plaintext: the key material.
    ///   - key: the 32-byte key-encryption key.
    public static func wrap(_ plaintext: some ContiguousBytes, key: SecureBytes) throws -> [UInt8] {
        try run(plaintext, key: key, encrypt: true).withUnsafeBytes(Array.init)
    }

    private static func run(_ input: some ContiguousBytes, key: SecureBytes, encrypt: Bool) throws -> SecureBytes {
        guard key.count == 32 else { throw CryptoError.invalidKeyLength(expected: 32, got: key.count) }
        guard let context = EVP_CIPHER_CTX_new() else { throw LibCrypto.failure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        EVP_CIPHER_CTX_set_flags(context, Int32(EVP_CIPHER_CTX_FLAG_WRAP_ALLOW))
        let ready = key.withUnsafeBytes { key in
            EVP_CipherInit_ex(
                context, EVP_aes_256_wrap_pad(), nil, key.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
                encrypt ? 1 : 0) == 1
        }
        guard ready else { throw LibCrypto.failure("EVP_CipherInit_ex") }
        return try input.withUnsafeBytes { input in
            guard input.count > 0, input.count < Int32.max - 16, encrypt || input.count % 8 == 0 && input.count >= 16
            else { throw CryptoError.authenticationFailed }
            return try SecureBytes(maximumCount: input.count + 16) { out in
                var length: Int32 = 0
                guard
                    EVP_CipherUpdate(
                        context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length,
                        input.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(input.count)) == 1,
                    length >= 0
                else {
                    ERR_clear_error()
                    throw CryptoError.authenticationFailed
                }
                return Int(length)
            }
        }
    }
}
