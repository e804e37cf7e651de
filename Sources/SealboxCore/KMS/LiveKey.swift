import SealboxCrypto

/// An immutable snapshot of a key with its unwrapped material, as the hot path reads it.
/// A change publishes a new snapshot; readers never lock one.
final class LiveKey: Sendable {
    let record: KeyRecord
    let versions: [KeyVersionRecord]
    let material: [UInt32: SecureBytes]

    init(record: KeyRecord, versions: [KeyVersionRecord], material: [UInt32: SecureBytes]) {
        self.record = record
        self.versions = versions
        self.material = material
    }

    var id: KeyID { record.id }
    var currentVersion: UInt32 { versions.last!.version }
    var stored: StoredKey { StoredKey(record: record, versions: versions) }

    func arn(_ context: RequestContext) -> String {
        "arn:aws:kms:\(context.region):\(context.accountID):key/\(record.id)"
    }
}
