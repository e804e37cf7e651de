import CLibCrypto

/// An RSA, EC or Ed25519 public key, read from and written as DER SubjectPublicKeyInfo.
public final class PublicKey: Sendable {
    let key: EVPKey
    /// The key as DER SubjectPublicKeyInfo, as KMS's `GetPublicKey` returns it.
    public let der: [UInt8]
    private let verifiers: [SignatureScheme: EVPContextPool]
    private let encrypters: [OAEPHash: EVPContextPool]

    /// Reads DER SubjectPublicKeyInfo.
    /// - Parameter der: the encoding, nothing after it.
    /// - Throws: ``CryptoError/invalidKey(_:)`` if it does not parse or is not a KMS key type.
    public init(der: some ContiguousBytes) throws {
        try SecureHeap.prepare()
        let bytes = der.withUnsafeBytes { Array($0) }
        let parsed = bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let key = d2i_PUBKEY(nil, &cursor, buffer.count) else { return nil }
            guard cursor == base + buffer.count else {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
        guard let parsed else {
            ERR_clear_error()
            throw CryptoError.invalidKey("the public key is not valid DER SubjectPublicKeyInfo")
        }
        let key = try EVPKey(taking: parsed)
        self.key = key
        self.der = bytes
        verifiers = key.signaturePools(EVP_PKEY_verify_init, "EVP_PKEY_verify_init")
        encrypters = key.oaepPools(EVP_PKEY_encrypt_init, "EVP_PKEY_encrypt_init")
    }

    /// The key's type and size.
    public var spec: AsymmetricKeySpec { key.spec }

    /// Whether `signature` is a valid signature of `digest` under this key.
    /// - Parameters:
    ///   - signature: the signature, in the form ``PrivateKey/sign(digest:_:)`` makes.
    ///   - digest: the message's digest under `scheme`'s hash.
    ///   - scheme: how it was signed.
    public func verify(_ signature: some ContiguousBytes, digest: some ContiguousBytes, _ scheme: SignatureScheme)
        -> Bool
    {
        guard let verifier = verifiers[scheme] else { return false }
        return signature.withUnsafeBytes { signature in
            digest.withUnsafeBytes { digest in
                guard digest.count == scheme.hash.length, let sig = signature.baseAddress,
                    let input = digest.baseAddress
                else { return false }
                // 1 is valid, 0 invalid; below 0 is an error, after which the context is not reused.
                let result = try? verifier.run { context -> Int32 in
                    let result = EVP_PKEY_verify(
                        context, sig.assumingMemoryBound(to: UInt8.self), signature.count,
                        input.assumingMemoryBound(to: UInt8.self), digest.count)
                    guard result >= 0 else { throw LibCrypto.failure("EVP_PKEY_verify") }
                    return result
                }
                if result != 1 { ERR_clear_error() }
                return result == 1
            }
        }
    }

    /// Encrypts with RSAES-OAEP.
    /// - Parameters:
    ///   - plaintext: at most the modulus length less twice the hash length less two bytes.
    ///   - hash: the OAEP hash.
    /// - Returns: the ciphertext, as long as the modulus.
    public func encrypt(_ plaintext: some ContiguousBytes, oaep hash: OAEPHash) throws -> [UInt8] {
        guard let modulus = key.spec.modulusBytes, let encrypter = encrypters[hash] else {
            throw CryptoError.invalidKey("not an RSA key")
        }
        return try plaintext.withUnsafeBytes { input in
            try encrypter.run { context in
                var out = [UInt8](repeating: 0, count: modulus)
                var length = modulus
                guard
                    EVP_PKEY_encrypt(
                        context, &out, &length, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count)
                        == 1
                else { throw LibCrypto.failure("EVP_PKEY_encrypt") }
                out.removeLast(out.count - length)
                return out
            }
        }
    }
}
