import SealboxCrypto

extension KMS {
    /// Stops versions below `floor` from decrypting, as Vault's `min_decryption_version` does.
    /// - Parameters:
    ///   - reference: key id, ARN or alias.
    ///   - floor: the lowest version that still decrypts; at most the current version.
    ///   - stillNeeded: how many stored data keys are wrapped under a version below `floor` (from
    ///     the stores that hold them); retirement is refused while any are.
    ///   - context: the caller; needs `admin:RetireKeyVersions` on the key.
    /// - Returns: the key's ARN.
    public func retire(
        _ reference: String,
        below floor: UInt32,
        stillNeeded: (KeyAddress, UInt32) -> Int,
        context: RequestContext
    ) throws(SealboxError) -> String {
        let key = try resolve(reference, context)
        let updated = try mutate(key.id.description, context) { (stored, current) throws(SealboxError) in
            guard floor >= 1, floor <= current.currentVersion else {
                throw SealboxError.validation(
                    "The floor must be between 1 and the current version, \(current.currentVersion).")
            }
            if let existing = stored.record.minDecryptionVersion, floor < existing {
                throw SealboxError.validation(
                    "Versions below \(existing) are already retired; a floor cannot be lowered again.")
            }
            let count = stillNeeded(current.address, floor)
            guard count == 0 else {
                throw SealboxError.invalidState(
                    "\(count) stored data keys are still wrapped under versions below \(floor); run `sealbox key rewrap` first."
                )
            }
            stored.record.minDecryptionVersion = floor
        }
        return updated.arn(context)
    }
}
