import SealboxCrypto

// Multi-Region keys: one key id in several regions of one account. Each regional key is a key of its
// own (policy, description, tags, aliases, grants, enabled state), but key material, rotation and
// the set itself are shared: every change to one is written to all of them in one transaction
// (``publish(_:previous:adding:)``), so a replica decrypts what its primary encrypted.
extension KMS {
    /// The other keys of a multi-Region key's set, as published now; none for a single-Region key.
    func relatedKeys(of record: KeyRecord) -> [LiveKey] {
        guard let set = record.multiRegion else { return [] }
        return set.regions.lazy.filter { $0 != record.scope.region }.compactMap { region in
            self.keys[KeyAddress(record.id, in: Scope(account: record.scope.account, region: region))]
        }
    }

    /// Copies into `related` what related multi-Region keys share with `source`: the set, automatic
    /// rotation and, for material made here, the versions. Imported material is imported into each
    /// key on its own, as in AWS.
    static func share(_ source: StoredKey, into related: inout StoredKey) {
        related.record.multiRegion = source.record.multiRegion
        related.record.rotationEnabled = source.record.rotationEnabled
        related.record.rotationPeriodInDays = source.record.rotationPeriodInDays
        related.record.rotationAnchor = source.record.rotationAnchor
        related.record.onDemandRotations = source.record.onDemandRotations
        if source.record.origin == .awsKMS { related.versions = source.versions }
    }

    /// What ReplicateKey asks for, once the wire layer has checked its form.
    package struct ReplicaRequest: Sendable {
        package var region: String
        package var policy: String
        package var description: String
        package var tags: [KeyTag]

        /// - Parameters:
        ///   - region: the replica's region.
        ///   - policy: its key policy.
        ///   - description: its description.
        ///   - tags: its tags.
        package init(region: String, policy: String, description: String, tags: [KeyTag]) {
            self.region = region
            self.policy = policy
            self.description = description
            self.tags = tags
        }
    }

    /// Makes a replica of a multi-Region primary key in another region of the same account.
    /// - Parameters:
    ///   - reference: the primary key's id or ARN.
    ///   - request: the replica's region and its own properties.
    ///   - context: the caller, in the primary key's region.
    /// - Returns: the replica.
    package func replicate(_ reference: String, _ request: ReplicaRequest, context: RequestContext)
        throws(SealboxError) -> LiveKey
    {
        try withWriter { () throws(SealboxError) -> LiveKey in
            let primary = try resolve(reference, context, allowAlias: false)
            try authorize(primary, context)
            let set = try multiRegionSet(of: primary, context)
            guard primary.isPrimary else {
                throw SealboxError.unsupportedOperation(
                    "\(primary.arn(context)) is a replica key; replicate its primary key in \(set.primaryRegion).")
            }
            try requireNotPendingDeletion(primary, context)
            if primary.record.state == .disabled { throw SealboxError.disabled("\(primary.arn(context)) is disabled.") }
            guard !set.regions.contains(request.region) else {
                throw SealboxError.alreadyExists(
                    "\(primary.arn(context)) already has a key in \(request.region): a replica or the primary.")
            }
            var stored = primary.stored
            stored.record.multiRegion = MultiRegionSet(
                primaryRegion: set.primaryRegion, replicaRegions: set.replicaRegions + [request.region])
            let scope = Scope(account: primary.record.scope.account, region: request.region)
            var replica = StoredKey(
                record: KeyRecord(
                    id: primary.id, scope: scope, created: clock.now(), description: request.description,
                    manager: .customer, policy: request.policy, tags: request.tags, spec: primary.record.spec,
                    usage: primary.record.usage, origin: primary.record.origin),
                versions: [])
            Self.share(stored, into: &replica)
            // An imported replica takes the primary's material only: the same digest is checked.
            replica.record.importedDigest = primary.record.importedDigest
            _ = try publish(stored, previous: primary, adding: [replica])
            return keys[replica.record.address]!
        }
    }

    /// Makes the replica in `region` the primary key, and the primary a replica.
    /// - Parameters:
    ///   - reference: the primary key's id or ARN.
    ///   - region: the region of the replica that becomes primary.
    ///   - context: the caller, in the primary key's region.
    package func updatePrimaryRegion(_ reference: String, to region: String, context: RequestContext)
        throws(SealboxError)
    {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            let set = try multiRegionSet(of: key, context)
            guard key.isPrimary else {
                throw SealboxError.unsupportedOperation(
                    "\(key.arn(context)) is a replica key; call UpdatePrimaryRegion in the primary key's region, \(set.primaryRegion)."
                )
            }
            try requireNotPendingDeletion(key, context)
            guard region != set.primaryRegion else { return }
            let scope = Scope(account: key.record.scope.account, region: region)
            guard set.replicaRegions.contains(region), let replica = keys[KeyAddress(key.id, in: scope)] else {
                throw SealboxError.notFound("\(key.arn(context)) has no replica key in \(region).")
            }
            try requireNotPendingDeletion(replica, context)
            stored.record.multiRegion = MultiRegionSet(
                primaryRegion: region, replicaRegions: set.replicaRegions.filter { $0 != region } + [set.primaryRegion])
        }
    }

    /// After a replica is deleted: the other keys of its set no longer list it, and a primary that
    /// waited for its last replica starts its own deletion window. The caller holds the writer lock.
    func forgetReplica(_ deleted: KeyRecord) throws(SealboxError) {
        guard let set = deleted.multiRegion, set.primaryRegion != deleted.scope.region else { return }
        let scope = Scope(account: deleted.scope.account, region: set.primaryRegion)
        guard let primary = keys[KeyAddress(deleted.id, in: scope)] else { return }
        var stored = primary.stored
        let remaining = set.replicaRegions.filter { $0 != deleted.scope.region }
        stored.record.multiRegion = MultiRegionSet(primaryRegion: set.primaryRegion, replicaRegions: remaining)
        if remaining.isEmpty, stored.record.state == .pendingReplicaDeletion {
            stored.record.state = .pendingDeletion
            stored.record.deletionDate = clock.now() + Double(stored.record.pendingWindowInDays ?? 30) * 86_400
        }
        _ = try publish(stored, previous: primary)
    }

    private func multiRegionSet(of key: LiveKey, _ context: RequestContext) throws(SealboxError) -> MultiRegionSet {
        guard let set = key.record.multiRegion else {
            throw SealboxError.unsupportedOperation("\(key.arn(context)) is not a multi-Region key.")
        }
        return set
    }
}
