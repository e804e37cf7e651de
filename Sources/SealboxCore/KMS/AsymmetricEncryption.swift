import SealboxCrypto

// Encrypt and Decrypt with RSA ENCRYPT_DECRYPT keys: RSAES-OAEP, the ciphertext the bare RSA
// output as AWS returns it, so a ciphertext made elsewhere with the public key decrypts here.
extension KMS {
    /// Encrypts with an RSA key's public half.
    /// - Parameters:
    ///   - plaintext: at most the spec's limit for `algorithm`.
    ///   - key: a usable key; the caller has authorized it.
    ///   - algorithm: `RSAES_OAEP_SHA_1` or `RSAES_OAEP_SHA_256`.
    ///   - context: the caller.
    package func encryptAsymmetric(
        _ plaintext: some ContiguousBytes, key: LiveKey, algorithm: String, context: RequestContext
    ) throws(SealboxError) -> [UInt8] {
        let (privateKey, hash) = try rsaKey(key, algorithm, "Encrypt", context)
        let limit = key.record.spec.oaepPlaintextLimit(hash) ?? 0
        let count = plaintext.withUnsafeBytes { $0.count }
        guard count <= limit else {
            throw SealboxError.validation(
                "Plaintext is \(count) bytes; \(algorithm) with \(key.record.spec.rawValue) encrypts at most \(limit) bytes."
            )
        }
        do {
            return try privateKey.publicKey.encrypt(plaintext, oaep: hash)
        } catch {
            throw SealboxError.keyServiceFailure("Encryption failed")
        }
    }

    /// Decrypts with an RSA key.
    /// - Parameters:
    ///   - ciphertext: RSAES-OAEP output under the key's public half.
    ///   - key: a usable key; the caller has authorized it.
    ///   - algorithm: the algorithm it was made with.
    ///   - context: the caller.
    /// - Returns: the plaintext, in guarded memory.
    package func decryptAsymmetric(
        _ ciphertext: some ContiguousBytes, key: LiveKey, algorithm: String, context: RequestContext
    ) throws(SealboxError) -> SecureBytes {
        let (privateKey, hash) = try rsaKey(key, algorithm, "Decrypt", context)
        guard let plaintext = try? privateKey.decrypt(ciphertext, oaep: hash) else {
            throw SealboxError.invalidCiphertext
        }
        return plaintext
    }

    private func rsaKey(_ key: LiveKey, _ algorithm: String, _ operation: String, _ context: RequestContext)
        throws(SealboxError) -> (PrivateKey, OAEPHash)
    {
        try requireUsage(key, .encryptDecrypt, operation, context)
        guard key.record.spec.encryptionAlgorithms(key.record.usage).contains(algorithm),
            let hash = KeySpec.oaepAlgorithms[algorithm]
        else {
            throw SealboxError.invalidKeyUsage(
                "Algorithm \(algorithm) is incompatible with key spec \(key.record.spec.rawValue).")
        }
        guard let privateKey = key.privateKey else {
            throw SealboxError.keyServiceFailure("The key's material is missing")
        }
        return (privateKey, hash)
    }
}
