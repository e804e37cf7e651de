import SealboxCrypto

// Imported key material (origin EXTERNAL): GetParametersForImport hands out an RSA wrapping key and
// a token that holds its private half; ImportKeyMaterial unwraps the material with it, checks it
// suits the key (and is the material imported before, if any) and makes the key usable;
// DeleteImportedKeyMaterial and expiry take the material away again.
extension KMS {
    /// A fresh wrapping key and import token for an imported key.
    /// - Parameters:
    ///   - key: a key of origin EXTERNAL; the caller has authorized it.
    ///   - algorithm: how the caller will wrap the material.
    ///   - bits: the wrapping key's size: 2048, 3072 or 4096.
    ///   - context: the caller.
    /// - Returns: the token, the wrapping key's DER SubjectPublicKeyInfo, and when both expire.
    package func parametersForImport(
        _ key: LiveKey, algorithm: WrappingAlgorithm, bits: Int, context: RequestContext
    ) throws(SealboxError) -> (token: [UInt8], publicKey: [UInt8], validTo: Double) {
        try requireExternal(key, context)
        try requireNotPendingDeletion(key, context)
        guard algorithm.oaep != nil else {
            throw SealboxError.unsupportedOperation(
                "Sealbox does not take \(algorithm.rawValue): wrap with RSAES_OAEP_SHA_* or RSA_AES_KEY_WRAP_SHA_*.")
        }
        let now = clock.now()
        do {
            let wrapping = try PrivateKey.generate(.rsa(bits: bits))
            let token = ImportToken(algorithm: algorithm, expires: now + ImportToken.lifetime, wrappingKey: wrapping)
            return (try token.seal(for: key.id, root: rootKey, now: now), wrapping.publicKey.der, token.expires)
        } catch {
            throw SealboxError.keyServiceFailure("The wrapping key could not be made")
        }
    }

    /// Imports key material into a key of origin EXTERNAL.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - token: the import token from ``parametersForImport(_:algorithm:bits:context:)``.
    ///   - encrypted: the material wrapped under the token's public key with its algorithm.
    ///   - expiration: whether the material expires.
    ///   - validTo: when it expires, if it does.
    ///   - context: the caller.
    /// - Returns: the key, usable.
    @discardableResult
    package func importKeyMaterial(
        _ reference: String, token: [UInt8], encrypted: [UInt8], expiration: ExpirationModel, validTo: Double?,
        context: RequestContext
    ) throws(SealboxError) -> LiveKey {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireExternal(key, context)
            try requireNotPendingDeletion(key, context)
            guard let opened = ImportToken.open(token, for: key.id, root: rootKey) else {
                throw SealboxError.invalidImportToken("The import token is not valid for \(key.arn(context)).")
            }
            guard opened.expires > clock.now() else {
                throw SealboxError.expiredImportToken("The import token has expired.")
            }
            let material = try Self.unwrap(encrypted, opened)
            do throws(SealboxError) {
                try Self.check(material, of: key.record.spec, imported: true)
            } catch {
                throw SealboxError.incorrectKeyMaterial(error.message)
            }
            let digest = Self.importDigest(key.id, material)
            if let previous = key.record.importedDigest, !Sodium.constantTimeEquals(previous, digest) {
                throw SealboxError.incorrectKeyMaterial(
                    "The key material is not the key material previously imported into \(key.arn(context)).")
            }
            if stored.versions.isEmpty {
                stored.versions = [
                    try newVersion(for: key.id, number: 1, type: .created, spec: key.record.spec, material: material)
                ]
            }
            stored.record.importedDigest = digest
            stored.record.expirationModel = expiration
            stored.record.validTo = validTo
            if stored.record.state == .pendingImport { stored.record.state = .enabled }
        }
    }

    /// Deletes a key's imported material: the key is `PendingImport` until it is imported again.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - context: the caller.
    /// - Returns: the key as it was, with the material id that was deleted.
    @discardableResult
    package func deleteImportedKeyMaterial(_ reference: String, context: RequestContext) throws(SealboxError)
        -> LiveKey
    {
        var before: LiveKey?
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireExternal(key, context)
            before = key
            stored.versions = []
            stored.record.validTo = nil
            stored.record.expirationModel = nil
            if !stored.record.state.isPendingDeletion { stored.record.state = .pendingImport }
        }
        // Ciphertexts under the deleted material must not open from a remembered message key.
        messageKeys.removeAll()
        return before!
    }

    /// Deletes the material of imported keys whose `ValidTo` has passed; the maintenance sweep.
    /// - Returns: how many keys lost their material.
    @discardableResult
    public func expireImportedMaterial() throws -> Int {
        let now = clock.now()
        let due = keys.values.filter { key in
            key.record.origin == .external && !key.versions.isEmpty && (key.record.validTo ?? .infinity) <= now
        }
        for key in due {
            try withWriter { () throws(SealboxError) in
                guard let current = keys[key.address], !current.versions.isEmpty else { return }
                var stored = current.stored
                stored.versions = []
                if !stored.record.state.isPendingDeletion { stored.record.state = .pendingImport }
                _ = try publish(stored, previous: current)
            }
        }
        if !due.isEmpty { messageKeys.removeAll() }
        return due.count
    }

    package func requireExternal(_ key: LiveKey, _ context: RequestContext) throws(SealboxError) {
        if key.record.origin != .external {
            throw SealboxError.unsupportedOperation(
                "\(key.arn(context)) has origin \(key.record.origin.rawValue); only EXTERNAL keys take imported key material."
            )
        }
    }

    /// A fingerprint of imported material: enough to tell the same material again, and nothing more.
    static func importDigest(_ id: KeyID, _ material: SecureBytes) -> [UInt8] {
        var input = Array("sealbox-imported-material".utf8) + id.bytes
        material.withUnsafeBytes { input.append(contentsOf: $0) }
        defer { input.withUnsafeMutableBytes { Sodium.zero($0) } }
        return Digest.sha256(input)
    }

    private static func unwrap(_ encrypted: [UInt8], _ token: ImportToken) throws(SealboxError) -> SecureBytes {
        guard let hash = token.algorithm.oaep, let modulus = token.wrappingKey.spec.modulusBytes else {
            throw SealboxError.invalidCiphertext
        }
        do {
            guard token.algorithm.wrapsWithAES else { return try token.wrappingKey.decrypt(encrypted, oaep: hash) }
            guard encrypted.count > modulus else { throw SealboxError.invalidCiphertext }
            let aesKey = try token.wrappingKey.decrypt(encrypted[..<modulus], oaep: hash)
            return try AESKeyWrap.unwrap(encrypted[modulus...], key: aesKey)
        } catch {
            throw SealboxError.invalidCiphertext
        }
    }
}
