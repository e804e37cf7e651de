import SealboxCrypto

// GenerateMac and VerifyMac with HMAC keys: the key's usage must be GENERATE_VERIFY_MAC and the
// algorithm the one its spec names, as AWS checks.
extension KMS {
    /// The HMAC of `message` under an HMAC key.
    /// - Parameters:
    ///   - message: the input.
    ///   - key: a usable key; the caller has authorized it.
    ///   - algorithm: must be the key spec's MAC algorithm.
    ///   - context: the caller.
    /// - Returns: the MAC.
    package func generateMac(
        _ message: some ContiguousBytes, key: LiveKey, algorithm: MacAlgorithm, context: RequestContext
    ) throws(SealboxError) -> [UInt8] {
        let material = try macMaterial(key, algorithm, "GenerateMac", context)
        return HMAC.mac(algorithm.hash, key: material, message)
    }

    /// Whether `mac` is the HMAC of `message` under an HMAC key, compared in constant time.
    /// - Parameters:
    ///   - mac: the MAC to check.
    ///   - message: the input.
    ///   - key: a usable key; the caller has authorized it.
    ///   - algorithm: must be the key spec's MAC algorithm.
    ///   - context: the caller.
    package func verifyMac(
        _ mac: some ContiguousBytes, message: some ContiguousBytes, key: LiveKey, algorithm: MacAlgorithm,
        context: RequestContext
    ) throws(SealboxError) -> Bool {
        let material = try macMaterial(key, algorithm, "VerifyMac", context)
        return HMAC.verify(mac, algorithm.hash, key: material, message)
    }

    /// Fails unless `key` is an HMAC key whose spec's algorithm is `algorithm` (InvalidKeyUsage).
    /// - Parameters:
    ///   - key: the key.
    ///   - algorithm: the requested MAC algorithm.
    ///   - operation: the operation's name, for the message.
    ///   - context: the caller.
    package func requireMacAlgorithm(
        _ key: LiveKey, _ algorithm: MacAlgorithm, _ operation: String, _ context: RequestContext
    ) throws(SealboxError) {
        try requireUsage(key, .generateVerifyMac, operation, context)
        guard key.record.spec.macAlgorithm == algorithm else {
            throw SealboxError.invalidKeyUsage(
                "Algorithm \(algorithm.rawValue) is incompatible with key spec \(key.record.spec.rawValue).")
        }
    }

    private func macMaterial(_ key: LiveKey, _ algorithm: MacAlgorithm, _ operation: String, _ context: RequestContext)
        throws(SealboxError) -> SecureBytes
    {
        try requireMacAlgorithm(key, algorithm, operation, context)
        // HMAC keys do not rotate: their material is version 1 for good.
        guard let material = key.material[key.currentVersion] else {
            throw SealboxError.keyServiceFailure("The key's material is missing")
        }
        return material
    }
}
