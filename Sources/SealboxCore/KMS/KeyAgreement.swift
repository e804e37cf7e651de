import SealboxCrypto

// DeriveSharedSecret with KEY_AGREEMENT keys: ECDH with the NIST curves, as AWS offers it.
extension KMS {
    /// The ECDH shared secret of a KEY_AGREEMENT key and another party's public key.
    /// - Parameters:
    ///   - publicKey: the other party's DER SubjectPublicKeyInfo, on the key's curve.
    ///   - key: a usable key; the caller has authorized it.
    ///   - context: the caller.
    /// - Returns: the raw shared secret, in guarded memory.
    package func deriveSharedSecret(_ publicKey: [UInt8], key: LiveKey, context: RequestContext)
        throws(SealboxError) -> SecureBytes
    {
        try requireUsage(key, .keyAgreement, "DeriveSharedSecret", context)
        guard let privateKey = key.privateKey else {
            throw SealboxError.keyServiceFailure("The key's material is missing")
        }
        let peer: PublicKey
        do {
            peer = try PublicKey(der: publicKey)
        } catch {
            throw SealboxError.validation("PublicKey is not a valid DER-encoded SubjectPublicKeyInfo.")
        }
        guard peer.spec == privateKey.spec else {
            throw SealboxError.validation(
                "The public key's key spec does not match the key spec \(key.record.spec.rawValue) of \(key.arn(context))."
            )
        }
        do {
            return try privateKey.deriveSharedSecret(with: peer)
        } catch {
            throw SealboxError.validation("PublicKey is not a valid point on the curve of \(key.record.spec.rawValue).")
        }
    }
}
