import SealboxCrypto

/// Seals KMS key material under the root key, as envelope tokens whose context names the key and
/// version, so a wrapped blob cannot be swapped onto another key or version.
enum KeyWrapping {
    static func context(_ id: KeyID, _ version: UInt32) -> EncryptionContext {
        EncryptionContext([
            "sealbox:purpose": "kms-key-material", "sealbox:key": id.description, "sealbox:version": "\(version)",
        ])
    }

    static func wrap(_ material: SecureBytes, id: KeyID, version: UInt32, root: SecureBytes, now: Double) throws
        -> [UInt8]
    {
        try Envelope.seal(
            material, key: root, keyID: .root, keyVersion: 0, context: context(id, version), timestamp: UInt64(now))
    }

    static func unwrap(_ wrapped: [UInt8], id: KeyID, version: UInt32, root: SecureBytes) throws -> SecureBytes {
        try Envelope.open(wrapped, key: root, context: context(id, version))
    }
}
