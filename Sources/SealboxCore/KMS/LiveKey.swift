import SealboxCrypto

/// An immutable snapshot of a key with its unwrapped material, as the hot path reads it.
/// A change publishes a new snapshot; readers never lock one.
package final class LiveKey: Sendable {
    package let record: KeyRecord
    package let versions: [KeyVersionRecord]
    package let material: [UInt32: SecureBytes]
    /// An asymmetric key's private key, parsed once from its material (which never rotates).
    package let privateKey: PrivateKey?

    /// The key id as text, and each version's KeyMaterialId, worked out once per snapshot.
    package let idText: String
    /// Where the KMS finds it: its id in its account and region.
    package let address: KeyAddress
    let materialIDs: [UInt32: String]

    /// - Parameter previous: an earlier snapshot of the same key whose parsed private key is reused.
    init(record: KeyRecord, versions: [KeyVersionRecord], material: [UInt32: SecureBytes], reusing previous: LiveKey?)
        throws
    {
        self.record = record
        self.versions = versions
        self.material = material
        if record.spec.asymmetric != nil, let current = versions.last.flatMap({ material[$0.version] }) {
            privateKey = try previous?.privateKey ?? PrivateKey(der: current)
        } else {
            privateKey = nil
        }
        idText = record.id.description
        address = record.address
        materialIDs = Dictionary(
            uniqueKeysWithValues: versions.map { ($0.version, Self.materialID(record.id, $0.version)) })
    }

    package var id: KeyID { record.id }
    /// A single-Region key, or the primary of a multi-Region key: the one that rotates and replicates.
    package var isPrimary: Bool { record.multiRegion.map { $0.primaryRegion == record.scope.region } ?? true }

    /// The public identifier of one version's material, as KMS's 64-hex-digit `KeyMaterialId`: a
    /// hash of the key id and version, so it reveals nothing about the material.
    package func materialID(_ version: UInt32) -> String {
        materialIDs[version] ?? Self.materialID(record.id, version)
    }

    private static func materialID(_ id: KeyID, _ version: UInt32) -> String {
        var input = Array("sealbox-key-material-id".utf8) + id.bytes
        withUnsafeBytes(of: version.bigEndian) { input.append(contentsOf: $0) }
        return Hex.encode(Digest.sha256(input))
    }
    /// The newest version; 0 for an imported key without material, which has none.
    package var currentVersion: UInt32 { versions.last?.version ?? 0 }
    var stored: StoredKey { StoredKey(record: record, versions: versions) }

    package func arn(_ context: RequestContext) -> String {
        context.arn("kms", "key/", idText)
    }
}
