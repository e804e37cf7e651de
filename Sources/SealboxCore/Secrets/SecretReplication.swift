import SealboxCrypto

/// A region a primary secret is replicated to, and how the last attempt went.
public struct SecretReplica: Sendable, Hashable, Codable {
    public var region: String
    /// The key the replica's values are sealed under in its region; nil for `alias/aws/secretsmanager`.
    public var kmsKeyId: String?
    /// `InSync` or `Failed`.
    public var status: String
    public var message: String

    /// - Parameters: see the properties.
    public init(region: String, kmsKeyId: String?, status: String = "InSync", message: String = "") {
        self.region = region
        self.kmsKeyId = kmsKeyId
        self.status = status
        self.message = message
    }
}

// Replication across regions: a replica is a secret of its own region, with the primary's name, ARN
// suffix, versions and labels, its values sealed under its own region's key with its own ARN as
// encryption context. Every commit of a primary brings its replicas in step in the same
// transaction; a replica changes only through its primary.
extension SecretsManager {
    static func replicaRefusal(_ primary: String) -> SealboxError {
        .invalidRequest(
            "Operation is not permitted on a replica secret. Retry the operation in the primary Region, \(primary).")
    }

    /// A replica's ARN: the primary's with the replica's region.
    package static func replicaARN(_ primaryARN: String, region: String) -> String {
        var parts = primaryARN.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false).map(String.init)
        parts[3] = region
        return parts.joined(separator: ":")
    }

    /// The changes that bring `primary`'s replicas in step with it, and each replica's status set on
    /// `primary`. A replica that cannot be written (a key that cannot seal, a secret of that name that
    /// is not its replica) is marked `Failed` and left as it was; the primary's change goes ahead.
    /// - Parameters:
    ///   - primary: the primary, as it is to be stored.
    ///   - removing: versions the primary's change removes.
    ///   - absent: secrets an earlier change of the same commit deletes.
    func replicate(_ primary: inout StoredSecret, removing: [String], absent: Set<Scoped<String>>) -> [SecretChange] {
        var changes: [SecretChange] = []
        let source = RequestContext(region: primary.scope.region, accountID: primary.scope.account, principal: .daemon)
        for (index, replica) in (primary.metadata.replicas ?? []).enumerated() {
            let scope = Scope(account: primary.scope.account, region: replica.region)
            let context = source.within(scope)
            let arn = Self.replicaARN(primary.metadata.arn, region: replica.region)
            var target: StoredSecret
            let address = Scoped(primary.name, in: scope)
            if !absent.contains(address), let existing = secrets[address] {
                guard existing.metadata.arn == arn, existing.metadata.primaryRegion == primary.scope.region else {
                    primary.metadata.replicas?[index].status = "Failed"
                    primary.metadata.replicas?[index].message =
                        "Replication failed: Secret name already exists in Region \(replica.region)."
                    continue
                }
                target = existing
            } else {
                target = StoredSecret(
                    name: primary.name, scope: scope,
                    metadata: SecretMetadata(
                        arn: arn, description: nil, kmsKeyId: replica.kmsKeyId, tags: [],
                        created: primary.metadata.created, lastChanged: primary.metadata.lastChanged),
                    versions: [])
                target.metadata.primaryRegion = primary.scope.region
            }
            target.metadata.description = primary.metadata.description
            target.metadata.tags = primary.metadata.tags
            target.metadata.lastChanged = primary.metadata.lastChanged
            target.metadata.kmsKeyId = replica.kmsKeyId
            do {
                var versions: [SecretVersion] = []
                for version in primary.versions {
                    var copy = version
                    if let known = target.versions.first(where: { $0.id == version.id }),
                        known.value.isEmpty == version.value.isEmpty
                    {
                        copy.value = known.value
                    } else if !version.value.isEmpty {
                        let value = try open(version, of: primary, source)
                        copy.value = try seal(
                            version.binary ? .binary(value) : .string(value), arn: arn, version: version.id,
                            keyId: replica.kmsKeyId, context)
                    }
                    versions.append(copy)
                }
                let gone = target.versions.map(\.id).filter { id in !versions.contains { $0.id == id } }
                target.versions = versions
                changes.append(
                    SecretChange(secret: target, writtenVersions: versions.map(\.id), removedVersions: gone + removing))
                primary.metadata.replicas?[index].status = "InSync"
                primary.metadata.replicas?[index].message = "Replication succeeded"
            } catch {
                primary.metadata.replicas?[index].status = "Failed"
                primary.metadata.replicas?[index].message = "Replication failed: \(error.message)"
            }
        }
        return changes
    }

    /// Replicates a primary secret to more regions.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - regions: each region and the key its replica's values are sealed under.
    ///   - overwrite: replace a secret of that name in the region that is not a replica.
    ///   - context: the caller.
    /// - Returns: the primary, with each replica's status.
    package func replicate(
        _ id: String, to regions: [(region: String, kmsKeyId: String?)], overwrite: Bool, context: RequestContext
    ) throws(SealboxError) -> StoredSecret {
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> StoredSecret in
            guard var secret = self.secret(id, context), secret.scope == context.scope else { throw Self.notFound }
            if let primary = secret.metadata.primaryRegion { throw Self.replicaRefusal(primary) }
            guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
            let deleted = try addReplicas(regions, to: &secret, overwrite: overwrite)
            try commit([
                SecretChange(secret: nil, writtenVersions: [], deleted: deleted),
                SecretChange(secret: secret, writtenVersions: []),
            ])
            return secrets[secret.address] ?? secret
        }
    }

    /// Adds replica regions to a primary about to be committed; the commit makes the replicas.
    /// - Parameters:
    ///   - regions: each region and the key its replica is sealed under.
    ///   - secret: the primary.
    ///   - overwrite: replace a secret of the same name in a region that is not the primary's replica.
    /// - Returns: the secrets `overwrite` replaces, for the commit to delete first.
    func addReplicas(
        _ regions: [(region: String, kmsKeyId: String?)], to secret: inout StoredSecret, overwrite: Bool
    ) throws(SealboxError) -> [Scoped<String>] {
        var replaced: [Scoped<String>] = []
        for (region, keyId) in regions {
            try Self.checkReplicaRegion(region, of: secret)
            let address = Scoped(secret.name, in: Scope(account: secret.scope.account, region: region))
            if overwrite, let existing = secrets[address], existing.metadata.primaryRegion != secret.scope.region {
                replaced.append(address)
            }
            secret.metadata.replicas =
                (secret.metadata.replicas ?? []) + [SecretReplica(region: region, kmsKeyId: keyId)]
        }
        return replaced
    }

    /// Removes replicas, deleting the replica secrets.
    /// - Parameters:
    ///   - id: the `SecretId` of the primary.
    ///   - regions: the replicas' regions.
    ///   - context: the caller.
    /// - Returns: the primary.
    package func removeReplicas(_ id: String, regions: [String], context: RequestContext) throws(SealboxError)
        -> StoredSecret
    {
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> StoredSecret in
            guard var secret = self.secret(id, context), secret.scope == context.scope else { throw Self.notFound }
            if let primary = secret.metadata.primaryRegion { throw Self.replicaRefusal(primary) }
            let replicas = secret.metadata.replicas ?? []
            for region in regions where !replicas.contains(where: { $0.region == region }) {
                throw SealboxError.invalidParameter("The secret isn't replicated to Region \(region).")
            }
            secret.metadata.replicas = replicas.filter { !regions.contains($0.region) }
            let deleted = regions.map { Scoped(secret.name, in: Scope(account: secret.scope.account, region: $0)) }
                .filter { secrets[$0]?.metadata.primaryRegion == secret.scope.region }
            try commit([SecretChange(secret: secret, writtenVersions: [], deleted: deleted)])
            return secret
        }
    }

    /// Promotes a replica to a secret of its own region, no longer kept in step.
    /// - Parameters:
    ///   - id: the `SecretId` of the replica, in its region.
    ///   - context: the caller.
    /// - Returns: the former replica.
    package func stopReplication(_ id: String, context: RequestContext) throws(SealboxError) -> StoredSecret {
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> StoredSecret in
            guard var replica = self.secret(id, context), replica.scope == context.scope else { throw Self.notFound }
            guard let primaryRegion = replica.metadata.primaryRegion else {
                throw SealboxError.invalidRequest("The secret isn't a replica, so there is no replication to stop.")
            }
            replica.metadata.primaryRegion = nil
            var changes = [SecretChange(secret: replica, writtenVersions: [])]
            let primaryAddress = Scoped(replica.name, in: Scope(account: replica.scope.account, region: primaryRegion))
            if var primary = secrets[primaryAddress] {
                primary.metadata.replicas?.removeAll { $0.region == replica.scope.region }
                changes.insert(SecretChange(secret: primary, writtenVersions: []), at: 0)
            }
            try commit(changes)
            return replica
        }
    }

    /// A replica region must be a region's name other than the primary's, and not already a replica.
    static func checkReplicaRegion(_ region: String, of secret: StoredSecret) throws(SealboxError) {
        guard Scope.isRegionName(region) else {
            throw SealboxError.invalidParameter("\(region) is not a valid Region.")
        }
        guard region != secret.scope.region else {
            throw SealboxError.invalidParameter("You can't replicate a secret to the Region it is in.")
        }
        guard !(secret.metadata.replicas ?? []).contains(where: { $0.region == region }) else {
            throw SealboxError.invalidParameter("The secret is already replicated to Region \(region).")
        }
    }
}
