import CLibCrypto

/// A Fernet key: 16 bytes of HMAC-SHA256 signing key, then 16 bytes of AES-128 encryption key.
public struct FernetKey: Sendable {
    let signing: SecureBytes
    let encryption: SecureBytes

    /// Parses the URL-safe base64 of 32 bytes, as `cryptography.fernet.Fernet.generate_key()` prints.
    /// - Parameter base64URL: the key text.
    public init(base64URL: some ContiguousBytes) throws {
        let raw = try Base64.decodeSecure(base64URL, variant: .urlSafe)
        guard raw.count == 32 else { throw CryptoError.invalidKeyLength(expected: 32, got: raw.count) }
        signing = raw.withUnsafeBytes { SecureBytes(copying: Array($0[0..<16])) }
        encryption = raw.withUnsafeBytes { SecureBytes(copying: Array($0[16..<32])) }
    }

    /// A key from 32 raw bytes (signing key, then encryption key), such as a derived one.
    /// - Parameter raw: the 32 bytes.
    public init(raw: SecureBytes) throws {
        guard raw.count == 32 else { throw CryptoError.invalidKeyLength(expected: 32, got: raw.count) }
        (signing, encryption) = try raw.withUnsafeBytes { bytes in
            (
                try SecureBytes(count: 16) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<16])) },
                try SecureBytes(count: 16) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[16..<32])) }
            )
        }
    }

    /// A fresh random key.
    public static func generate() -> FernetKey {
        let raw = SecureBytes.random(count: 32)
        return try! FernetKey(base64URL: Array(Base64.encode(raw, variant: .urlSafe).utf8))
    }

    /// The key as URL-safe base64.
    public var base64URL: SecureBytes {
        let raw = try! SecureBytes(count: 32) { out in
            signing.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 16) }
            encryption.withUnsafeBytes { (out.baseAddress! + 16).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        }
        return try! SecureBytes(count: 44) { out in
            raw.withUnsafeBytes { Base64.encode($0, into: out, variant: .urlSafe) }
        }
    }
}

/// The Fernet token format (AES-128-CBC with PKCS7 padding, then HMAC-SHA256), compatible with
/// Python's `cryptography.fernet` and the public Fernet specification.
public enum Fernet {
    private static let version: UInt8 = 0x80
    /// Tokens dated further ahead than this are refused, as `cryptography` does.
    public static let maxClockSkew: UInt64 = 60

    /// Encrypts `plaintext` into a token.
    /// - Parameters:
    ///   - plaintext: the bytes to protect.
    ///   - key: the Fernet key.
    ///   - now: the timestamp to embed, in seconds since the epoch.
    ///   - iv: 16 bytes; random when nil. Pass one only to reproduce test vectors.
    /// - Returns: the URL-safe base64 token.
    public static func encrypt(
        _ plaintext: some ContiguousBytes,
        key: FernetKey,
        now: UInt64,
        iv: [UInt8]? = nil
    ) throws -> String {
        let iv = iv ?? Sodium.randomBytes(16)
        precondition(iv.count == 16, "IV must be 16 bytes")
        var token: [UInt8] = [version]
        token.appendBigEndian(now)
        token.append(contentsOf: iv)
        token.append(
            contentsOf: try aes128CBC(encrypt: true, plaintext, key: key.encryption, iv: iv).withUnsafeBytes(Array.init)
        )
        token.append(contentsOf: Digest.hmacSHA256(key: key.signing, token))
        return Base64.encode(token, variant: .urlSafe)
    }

    /// Verifies and decrypts a token into guarded memory.
    /// - Parameters:
    ///   - token: the URL-safe base64 token.
    ///   - key: the Fernet key.
    ///   - ttl: the maximum age in seconds, or nil for no limit.
    ///   - now: the current time in seconds since the epoch.
    /// - Throws: `CryptoError` if the token is malformed, forged, expired or dated in the future.
    public static func decrypt(
        _ token: some ContiguousBytes,
        key: FernetKey,
        ttl: UInt64? = nil,
        now: UInt64
    ) throws -> SecureBytes {
        let raw = try Base64.decode(token, variant: .urlSafe)
        // version, timestamp, IV, at least one block, MAC
        guard raw.count >= 1 + 8 + 16 + 16 + 32, (raw.count - 57) % 16 == 0 else {
            throw CryptoError.malformedToken("token has the wrong length")
        }
        guard raw[0] == version else { throw CryptoError.unsupportedVersion }
        let timestamp = raw.withUnsafeBytes { $0.loadBigEndian(at: 1, as: UInt64.self) }
        let signed = raw[0..<(raw.count - 32)]
        let expected = Digest.hmacSHA256(key: key.signing, signed)
        guard Sodium.constantTimeEquals(expected, raw[(raw.count - 32)...]) else {
            throw CryptoError.authenticationFailed
        }
        if timestamp > now, timestamp - now > maxClockSkew { throw CryptoError.expired }
        if let ttl, timestamp < now, now - timestamp > ttl { throw CryptoError.expired }
        let iv = Array(raw[9..<25])
        return try aes128CBC(encrypt: false, raw[25..<(raw.count - 32)], key: key.encryption, iv: iv)
    }

    private static func aes128CBC(
        encrypt: Bool,
        _ input: some ContiguousBytes,
        key: SecureBytes,
        iv: [UInt8]
    ) throws -> SecureBytes {
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError.libcrypto("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        return try input.withUnsafeBytes { source in
            let scratch = try SecureBytes(count: source.count + 16) { _ in }
            var total: Int32 = 0
            // Deferred, so that a failed decryption wipes what the cipher left on the stack too.
            defer { StackWipe.afterCryptoCall() }
            try scratch.withUnsafeBytes { outRaw in
                let out = UnsafeMutablePointer(mutating: outRaw.baseAddress!.assumingMemoryBound(to: UInt8.self))
                let ok = key.withUnsafeBytes { k in
                    EVP_CipherInit_ex(
                        context, EVP_aes_128_cbc(), nil, k.baseAddress!.assumingMemoryBound(to: UInt8.self), iv,
                        encrypt ? 1 : 0)
                }
                guard ok == 1 else { throw CryptoError.libcrypto("EVP_CipherInit_ex") }
                var written: Int32 = 0
                guard
                    EVP_CipherUpdate(
                        context, out, &written,
                        source.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(out),
                        Int32(source.count)) == 1
                else { throw CryptoError.libcrypto("EVP_CipherUpdate") }
                total = written
                // A padding failure after a valid MAC can only mean a key or IV error; report it as invalid.
                guard EVP_CipherFinal_ex(context, out + Int(written), &written) == 1 else {
                    throw CryptoError.authenticationFailed
                }
                total += written
            }
            return try SecureBytes(count: Int(total)) { out in
                scratch.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<Int(total)])) }
            }
        }
    }
}
