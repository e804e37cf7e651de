import SealboxCrypto

extension KMS {
    /// The store name of the audit log's MAC key.
    static let auditKeyName = "audit-key"

    private static func secretContext(_ name: String) -> EncryptionContext {
        EncryptionContext(["sealbox:purpose": "daemon-secret", "sealbox:secret": name])
    }

    /// The audit log's MAC key. It is kept wrapped in the store, so it survives root key rotations;
    /// the first time it is the key earlier versions derived from the root key, so logs written
    /// before still verify.
    public func auditKey() throws -> SecureBytes {
        try writer.withLock {
            let root = rootKey
            if let wrapped = try store.loadSecret(Self.auditKeyName) {
                return try Envelope.open(wrapped, key: root, context: Self.secretContext(Self.auditKeyName))
            }
            let key = AuditLog.key(rootKey: root)
            let wrapped = try Envelope.seal(
                key, key: root, keyID: .root, keyVersion: 0, context: Self.secretContext(Self.auditKeyName),
                timestamp: UInt64(clock.now()))
            try store.saveSecret(Self.auditKeyName, wrapped)
            return key
        }
    }

    /// Opens every daemon secret, so a wrong root key fails at start even when no key exists.
    func verifySecrets() throws {
        if let wrapped = try store.loadSecret(Self.auditKeyName) {
            _ = try Envelope.open(wrapped, key: rootKey, context: Self.secretContext(Self.auditKeyName))
        }
    }

    /// Re-wraps every key version's material and every daemon secret under `newRoot`, in one store
    /// transaction, then uses it. Key material itself does not change, so every ciphertext stays valid.
    ///
    /// The caller makes the switch crash-safe around the transaction: `stage` puts the new key where
    /// a restart looks for it (beside the current one), `promote` makes it the key the daemon starts
    /// with. A crash before the transaction leaves the old key valid; after it, the staged key opens
    /// the store and start-up promotes it.
    /// - Parameters:
    ///   - newRoot: the new 32-byte root key.
    ///   - stage: runs before the store changes.
    ///   - promote: runs after.
    /// - Returns: how many key versions were re-wrapped.
    public func rotateRoot(
        to newRoot: SecureBytes,
        stage: () throws -> Void,
        promote: () throws -> Void
    ) throws -> Int {
        guard newRoot.count == Envelope.keyLength else {
            throw CryptoError.invalidKeyLength(expected: Envelope.keyLength, got: newRoot.count)
        }
        return try writer.withLock {
            let oldRoot = rootKey
            let now = clock.now()
            var versions: [(key: KeyAddress, version: UInt32, wrapped: [UInt8])] = []
            for key in keys.values {
                for version in key.versions {
                    guard let material = key.material[version.version] else { continue }
                    versions.append(
                        (
                            key.address, version.version,
                            try KeyWrapping.wrap(
                                material, id: key.id, version: version.version, root: newRoot, now: now)
                        ))
                }
            }
            var secrets: [String: [UInt8]] = [:]
            if let wrapped = try store.loadSecret(Self.auditKeyName) {
                let context = Self.secretContext(Self.auditKeyName)
                let secret = try Envelope.open(wrapped, key: oldRoot, context: context)
                secrets[Self.auditKeyName] = try Envelope.seal(
                    secret, key: newRoot, keyID: .root, keyVersion: 0, context: context, timestamp: UInt64(now))
            }
            try stage()
            try store.rewrapUnderNewRoot(versions: versions, secrets: secrets)
            replaceRootKey(newRoot)
            // Republish each key with its new wrapping; the material readers use is unchanged, and no
            // key is ever absent from the map.
            var rewrapped: [KeyAddress: [UInt32: [UInt8]]] = [:]
            for entry in versions { rewrapped[entry.key, default: [:]][entry.version] = entry.wrapped }
            for key in keys.values {
                let updated = key.versions.map { version in
                    var version = version
                    version.wrappedMaterial = rewrapped[key.address]?[version.version] ?? version.wrappedMaterial
                    return version
                }
                keys[key.address] = try LiveKey(
                    record: key.record, versions: updated, material: key.material, reusing: key)
            }
            try promote()
            return versions.count
        }
    }
}
