import SealboxCrypto

// Making keys and their material: fresh random bytes or a key pair, or material a fixture or an
// import hands in, checked against the key's spec, then wrapped under the root key as a version.
extension KMS {
    /// Creates a key with fresh material as version 1.
    package func createKey(_ record: KeyRecord) throws(SealboxError) -> LiveKey {
        // An imported key waits for its material.
        if record.origin == .external {
            return try withWriter { () throws(SealboxError) -> LiveKey in
                try publish(StoredKey(record: record, versions: []), previous: nil)
            }
        }
        // An RSA key pair takes up to seconds to make: not under the writer lock.
        let material = try Self.freshMaterial(record.spec)
        return try withWriter { () throws(SealboxError) -> LiveKey in
            let version = try newVersion(
                for: record.id, number: 1, type: .created, spec: record.spec, material: material)
            return try publish(StoredKey(record: record, versions: [version]), previous: nil)
        }
    }

    /// Creates a key with a chosen id and, optionally, chosen material (fixtures: reproducible ids and
    /// ciphertexts).
    package func createKey(_ record: KeyRecord, material: SecureBytes?) throws(SealboxError) -> LiveKey {
        if let material { try Self.check(material, of: record.spec) }
        // As above, a key pair is made outside the writer lock.
        let material = if let material { material } else { try Self.freshMaterial(record.spec) }
        return try withWriter { () throws(SealboxError) -> LiveKey in
            guard keys[record.address] == nil else {
                throw SealboxError.alreadyExists("Key '\(record.id)' already exists")
            }
            let version = try newVersion(
                for: record.id, number: 1, type: .created, spec: record.spec, material: material)
            return try publish(StoredKey(record: record, versions: [version]), previous: nil)
        }
    }

    /// Fails unless `material` is key material of `spec`: its exact length for symmetric and HMAC
    /// keys, a private key of the spec's type and size (PKCS#8 DER) for asymmetric ones.
    /// - Parameters:
    ///   - material: the candidate material.
    ///   - spec: the key's spec.
    /// - Parameter imported: imported HMAC material may be of any length AWS allows for the spec.
    package static func check(_ material: SecureBytes, of spec: KeySpec, imported: Bool = false)
        throws(SealboxError)
    {
        if imported, let range = spec.importedMaterialLengths {
            guard range.contains(material.count) else {
                throw SealboxError.validation(
                    "\(spec.rawValue) key material must be \(range.lowerBound) to \(range.upperBound) bytes")
            }
            return
        }
        if let asymmetric = spec.asymmetric {
            guard let parsed = try? PrivateKey(der: material) else {
                throw SealboxError.validation("\(spec.rawValue) key material must be a DER private key")
            }
            guard parsed.spec == asymmetric else {
                throw SealboxError.validation(
                    "The private key is not a \(spec.rawValue) key: it is \(KeySpec(parsed.spec)?.rawValue ?? "another type")"
                )
            }
        } else if material.count != spec.materialLength {
            throw SealboxError.validation("\(spec.rawValue) key material must be \(spec.materialLength ?? 0) bytes")
        }
    }

    package func newVersion(
        for id: KeyID, number: UInt32, type: RotationType, spec: KeySpec, material: SecureBytes? = nil
    ) throws(SealboxError) -> KeyVersionRecord {
        let material = if let material { material } else { try Self.freshMaterial(spec) }
        let now = clock.now()
        do {
            let wrapped = try KeyWrapping.wrap(material, id: id, version: number, root: rootKey, now: now)
            return KeyVersionRecord(version: number, wrappedMaterial: wrapped, created: now, rotationType: type)
        } catch {
            throw SealboxError.keyServiceFailure("Key material could not be wrapped")
        }
    }

    /// New random material for a key of `spec`: random bytes, or a private key as PKCS#8 DER.
    static func freshMaterial(_ spec: KeySpec) throws(SealboxError) -> SecureBytes {
        if let length = spec.materialLength { return SecureBytes.random(count: length) }
        guard let asymmetric = spec.asymmetric else {
            throw SealboxError.unsupportedOperation("Sealbox cannot make \(spec.rawValue) key material")
        }
        do {
            return try PrivateKey.generate(asymmetric).pkcs8()
        } catch {
            throw SealboxError.keyServiceFailure("The key pair could not be generated")
        }
    }
}
