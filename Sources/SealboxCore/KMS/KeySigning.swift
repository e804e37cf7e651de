import SealboxCrypto

// Sign and Verify with asymmetric SIGN_VERIFY keys: the key's usage must be SIGN_VERIFY and the
// algorithm one its spec lists, as AWS checks; a RAW message is hashed here, a DIGEST is signed as
// given once its length matches the algorithm's hash.
extension KMS {
    /// How a `Sign` or `Verify` message is to be read.
    public enum MessageType: String, Sendable, CaseIterable {
        case raw = "RAW"
        case digest = "DIGEST"
    }

    /// The signature of `message` under an asymmetric key.
    /// - Parameters:
    ///   - message: the message, or its digest.
    ///   - type: which of the two `message` is.
    ///   - key: a usable key; the caller has authorized it.
    ///   - algorithm: one of the key spec's signing algorithms.
    ///   - context: the caller.
    /// - Returns: the signature, as AWS encodes it.
    package func sign(
        _ message: some ContiguousBytes, type: MessageType, key: LiveKey, algorithm: SigningAlgorithm,
        context: RequestContext
    ) throws(SealboxError) -> [UInt8] {
        let (privateKey, scheme) = try signer(key, algorithm, "Sign", context)
        let digest = try Self.digest(message, type, scheme, algorithm)
        do {
            return try privateKey.sign(digest: digest, scheme)
        } catch {
            throw SealboxError.keyServiceFailure("Signing failed")
        }
    }

    /// Whether `signature` is a signature of `message` under an asymmetric key.
    /// - Parameters:
    ///   - signature: the signature to check.
    ///   - message: the message, or its digest.
    ///   - type: which of the two `message` is.
    ///   - key: a usable key; the caller has authorized it.
    ///   - algorithm: one of the key spec's signing algorithms.
    ///   - context: the caller.
    package func verify(
        _ signature: some ContiguousBytes, message: some ContiguousBytes, type: MessageType, key: LiveKey,
        algorithm: SigningAlgorithm, context: RequestContext
    ) throws(SealboxError) -> Bool {
        let (privateKey, scheme) = try signer(key, algorithm, "Verify", context)
        let digest = try Self.digest(message, type, scheme, algorithm)
        return privateKey.publicKey.verify(signature, digest: digest, scheme)
    }

    /// Fails unless `key` is a SIGN_VERIFY key whose spec lists `algorithm` (InvalidKeyUsage).
    /// - Parameters:
    ///   - key: the key.
    ///   - algorithm: the requested signing algorithm.
    ///   - operation: the operation's name, for the message.
    ///   - context: the caller.
    package func requireSigningAlgorithm(
        _ key: LiveKey, _ algorithm: SigningAlgorithm, _ operation: String, _ context: RequestContext
    ) throws(SealboxError) {
        try requireUsage(key, .signVerify, operation, context)
        guard key.record.spec.signingAlgorithms(key.record.usage).contains(algorithm) else {
            throw SealboxError.invalidKeyUsage(
                "Algorithm \(algorithm.rawValue) is incompatible with key spec \(key.record.spec.rawValue).")
        }
    }

    private func signer(_ key: LiveKey, _ algorithm: SigningAlgorithm, _ operation: String, _ context: RequestContext)
        throws(SealboxError) -> (PrivateKey, SignatureScheme)
    {
        try requireSigningAlgorithm(key, algorithm, operation, context)
        guard let privateKey = key.privateKey, let scheme = algorithm.scheme else {
            throw SealboxError.keyServiceFailure("The key's material is missing")
        }
        return (privateKey, scheme)
    }

    /// The digest to sign: a RAW message's hash, or a DIGEST as given when its length is the hash's.
    private static func digest(
        _ message: some ContiguousBytes, _ type: MessageType, _ scheme: SignatureScheme, _ algorithm: SigningAlgorithm
    ) throws(SealboxError) -> [UInt8] {
        switch type {
        case .raw:
            return scheme.hash.digest(message)
        case .digest:
            let digest = message.withUnsafeBytes { Array($0) }
            guard digest.count == scheme.hash.length else {
                throw SealboxError.validation("Digest is invalid length for algorithm \(algorithm.rawValue).")
            }
            return digest
        }
    }
}
