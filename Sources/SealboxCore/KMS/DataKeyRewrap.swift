import SealboxCrypto

extension KMS {
    /// The key and key version that wrap the data key of an envelope v2 token.
    /// - Parameter token: a v2 token (a SecureString value, an env token's payload).
    public func wrappingVersion(of token: [UInt8]) -> (key: KeyID, version: UInt32)? {
        guard token.first == DataKeyEnvelope.version, let wrapped = try? DataKeyEnvelope.wrappedKey(of: token),
            let reference = try? Envelope.keyReference(of: wrapped)
        else { return nil }
        return (reference.keyID, reference.keyVersion)
    }

    /// Re-wraps a v2 token's data key under the current version of its key. The value itself is not
    /// decrypted: only the 32-byte data key is opened, in guarded memory, and sealed again.
    /// - Parameters:
    ///   - token: the v2 token.
    ///   - scope: the account and region of its key.
    ///   - encryptionContext: the context the token was sealed with.
    /// - Returns: the new token, or nil when the data key already uses the current version.
    /// - Throws: `InvalidCiphertextException` if the data key does not open under this context;
    ///   `KMSInvalidStateException` if its version is retired (rewrapping must not revive it);
    ///   `NotFoundException` if its key is gone.
    func rewrapDataKey(_ token: [UInt8], in scope: Scope, encryptionContext: EncryptionContext) throws(SealboxError)
        -> [UInt8]?
    {
        guard let (id, version) = wrappingVersion(of: token), let wrapped = try? DataKeyEnvelope.wrappedKey(of: token)
        else { throw SealboxError.invalidCiphertext }
        guard let key = present(KeyAddress(id, in: scope)) else {
            throw SealboxError.notFound("Key '\(id)' does not exist")
        }
        if let floor = key.record.minDecryptionVersion, version < floor {
            throw SealboxError.invalidState(
                "Version \(version) of key \(id) is retired; its data keys cannot be rewrapped.")
        }
        // Opened even when already current, so a token under the wrong context is refused either way.
        guard let old = key.material[version],
            let dataKey = try? Envelope.open(wrapped, key: old, context: encryptionContext)
        else { throw SealboxError.invalidCiphertext }
        let current = key.currentVersion
        guard version < current else { return nil }
        guard let new = key.material[current],
            let rewrapped = try? Envelope.seal(
                dataKey, key: new, keyID: id, keyVersion: current, context: encryptionContext,
                timestamp: UInt64(clock.now())),
            let token = try? DataKeyEnvelope.rewrapped(token, with: rewrapped)
        else { throw SealboxError.invalidCiphertext }
        return token
    }
}
