import CLibCrypto

/// An RSA, EC or Ed25519 private key, held by libcrypto in its secure heap (see ``SecureHeap``).
///
/// It leaves the process only as PKCS#8 DER in guarded memory (``pkcs8()``), to be wrapped at once.
/// Operations on one key may run concurrently: none changes it.
public final class PrivateKey: Sendable {
    let key: EVPKey
    /// The key's public half.
    public let publicKey: PublicKey
    private let signers: [SignatureScheme: EVPContextPool]
    private let decrypters: [OAEPHash: EVPContextPool]

    private init(_ key: EVPKey) throws {
        self.key = key
        publicKey = try PublicKey(der: key.subjectPublicKeyInfo())
        signers = key.signaturePools(EVP_PKEY_sign_init, "EVP_PKEY_sign_init")
        decrypters = key.oaepPools(EVP_PKEY_decrypt_init, "EVP_PKEY_decrypt_init")
    }

    /// The key's type and size.
    public var spec: AsymmetricKeySpec { key.spec }

    /// A new random key.
    /// - Parameter spec: the type and size.
    public static func generate(_ spec: AsymmetricKeySpec) throws -> PrivateKey {
        try SecureHeap.prepare()
        let type =
            switch spec {
            case .rsa: EVP_PKEY_RSA
            case .ec: EVP_PKEY_EC
            case .ed25519: EVP_PKEY_ED25519
            }
        guard let context = EVP_PKEY_CTX_new_id(type, nil) else { throw LibCrypto.failure("EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw LibCrypto.failure("EVP_PKEY_keygen_init") }
        switch spec {
        case .rsa(let bits):
            guard AsymmetricKeySpec.rsaSizes.contains(bits), EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1
            else { throw LibCrypto.failure("EVP_PKEY_CTX_set_rsa_keygen_bits") }
        case .ec(let curve):
            guard EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, curve.nid) == 1 else {
                throw LibCrypto.failure("EVP_PKEY_CTX_set_ec_paramgen_curve_nid")
            }
        case .ed25519:
            break
        }
        var made: OpaquePointer?
        guard EVP_PKEY_generate(context, &made) == 1, let made else { throw LibCrypto.failure("EVP_PKEY_generate") }
        return try PrivateKey(EVPKey(taking: made))
    }

    /// Reads a DER private key: PKCS#8 `PrivateKeyInfo`, or the RSA or EC key structures alone.
    /// - Parameter der: the encoding, nothing after it.
    /// - Throws: ``CryptoError/invalidKey(_:)`` if it does not parse or is not a KMS key type.
    public convenience init(der: some ContiguousBytes) throws {
        try SecureHeap.prepare()
        let parsed = der.withUnsafeBytes { bytes -> OpaquePointer? in
            guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let key = d2i_AutoPrivateKey(nil, &cursor, bytes.count) else { return nil }
            guard cursor == base + bytes.count else {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
        guard let parsed else {
            ERR_clear_error()
            throw CryptoError.invalidKey("the private key is not valid DER")
        }
        try self.init(EVPKey(taking: parsed))
    }

    /// Reads a PEM private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`), unencrypted.
    /// - Parameter pem: the PEM text.
    /// - Throws: ``CryptoError/invalidKey(_:)`` if it does not parse, is encrypted, or is not a KMS
    ///   key type.
    public convenience init(pem: String) throws {
        try SecureHeap.prepare()
        var text = pem
        let parsed = text.withUTF8 { bytes -> OpaquePointer? in
            guard let base = bytes.baseAddress, bytes.count < Int32.max,
                let bio = BIO_new_mem_buf(base, Int32(bytes.count))
            else { return nil }
            defer { BIO_free(bio) }
            // No passphrase: without this callback libcrypto would prompt on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
        guard let parsed else {
            ERR_clear_error()
            throw CryptoError.invalidKey("the private key is not an unencrypted PEM private key")
        }
        try self.init(EVPKey(taking: parsed))
    }

    /// The key as PKCS#8 DER, in guarded memory.
    public func pkcs8() throws -> SecureBytes {
        guard let info = EVP_PKEY2PKCS8(key.pointer) else { throw LibCrypto.failure("EVP_PKEY2PKCS8") }
        // libcrypto cleanses the encoded key inside `info` when freeing it.
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, nil)
        guard length > 0 else { throw LibCrypto.failure("i2d_PKCS8_PRIV_KEY_INFO") }
        return try SecureBytes(count: Int(length)) { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard i2d_PKCS8_PRIV_KEY_INFO(info, &cursor) == length else {
                throw LibCrypto.failure("i2d_PKCS8_PRIV_KEY_INFO")
            }
        }
    }

    /// Signs a digest.
    /// - Parameters:
    ///   - digest: the message's digest under `scheme`'s hash, exactly its length.
    ///   - scheme: an RSA scheme for RSA keys, ECDSA for EC keys.
    /// - Returns: the signature: PKCS#1 for RSA, DER `ECDSA-Sig-Value` for ECDSA.
    public func sign(digest: some ContiguousBytes, _ scheme: SignatureScheme) throws -> [UInt8] {
        guard let signer = signers[scheme] else { throw CryptoError.invalidKey("the scheme does not suit the key") }
        guard digest.withUnsafeBytes({ $0.count }) == scheme.hash.length else {
            throw CryptoError.invalidKey("the digest's length")
        }
        return try signer.run { context in try Self.sign(digest, context) }
    }

    private static func sign(_ digest: some ContiguousBytes, _ context: OpaquePointer) throws -> [UInt8] {
        try digest.withUnsafeBytes { digest throws -> [UInt8] in
            let input = digest.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var length = 0
            guard EVP_PKEY_sign(context, nil, &length, input, digest.count) == 1 else {
                throw LibCrypto.failure("EVP_PKEY_sign")
            }
            var signature = [UInt8](repeating: 0, count: length)
            guard EVP_PKEY_sign(context, &signature, &length, input, digest.count) == 1 else {
                throw LibCrypto.failure("EVP_PKEY_sign")
            }
            signature.removeLast(signature.count - length)
            return signature
        }
    }

    /// Decrypts an RSAES-OAEP ciphertext.
    /// - Parameters:
    ///   - ciphertext: exactly as long as the modulus.
    ///   - hash: the OAEP hash it was made with.
    /// - Returns: the plaintext, in guarded memory.
    /// - Throws: ``CryptoError/authenticationFailed`` when it does not decrypt.
    public func decrypt(_ ciphertext: some ContiguousBytes, oaep hash: OAEPHash) throws -> SecureBytes {
        guard let modulus = key.spec.modulusBytes, let decrypter = decrypters[hash] else {
            throw CryptoError.invalidKey("not an RSA key")
        }
        return try ciphertext.withUnsafeBytes { input in
            guard input.count == modulus, let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                throw CryptoError.authenticationFailed
            }
            // A ciphertext that does not decrypt fails the operation, and the context is not reused.
            return try decrypter.run { context in try Self.decrypt(base, input.count, modulus, context) }
        }
    }

    private static func decrypt(
        _ input: UnsafePointer<UInt8>, _ count: Int, _ modulus: Int, _ context: OpaquePointer
    ) throws -> SecureBytes {
        try SecureBytes(maximumCount: modulus) { out in
            var length = out.count
            let output = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard EVP_PKEY_decrypt(context, output, &length, input, count) == 1 else {
                ERR_clear_error()
                throw CryptoError.authenticationFailed
            }
            return length
        }
    }

    /// The ECDH shared secret with a public key on the same curve: the x-coordinate of the shared
    /// point, as KMS's `DeriveSharedSecret` returns it.
    /// - Parameter peer: the other party's public key.
    /// - Returns: the secret, in guarded memory.
    public func deriveSharedSecret(with peer: PublicKey) throws -> SecureBytes {
        guard case .ec = key.spec, peer.spec == key.spec else {
            throw CryptoError.invalidKey("the public key is not on the key's curve")
        }
        let context = try key.context()
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_derive_init(context) == 1 else { throw LibCrypto.failure("EVP_PKEY_derive_init") }
        guard EVP_PKEY_derive_set_peer(context, peer.key.pointer) == 1 else {
            ERR_clear_error()
            throw CryptoError.invalidKey("the public key is not a valid point on the key's curve")
        }
        var length = 0
        guard EVP_PKEY_derive(context, nil, &length) == 1 else { throw LibCrypto.failure("EVP_PKEY_derive") }
        return try SecureBytes(maximumCount: length) { out in
            var written = out.count
            guard EVP_PKEY_derive(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &written) == 1 else {
                throw LibCrypto.failure("EVP_PKEY_derive")
            }
            return written
        }
    }
}
