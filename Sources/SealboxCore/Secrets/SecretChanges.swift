import SealboxCrypto

// Creating secrets, writing and reading their versions, deleting and restoring them. The caller has
// checked the request's form; these check the policy and apply AWS's rules under the writer lock,
// committing before they publish.
extension SecretsManager {
    /// Creates a secret, with a first version when a value is given.
    /// - Parameters:
    ///   - name: the name, unique in the account and region.
    ///   - description: its description.
    ///   - kmsKeyId: the key its values are sealed under; nil for `alias/aws/secretsmanager`.
    ///   - value: the first version's value, if any.
    ///   - token: the first version's id; a new UUID when nil.
    ///   - tags: its tags.
    ///   - replicas: regions to replicate it to, each with the key its replica is sealed under.
    ///   - overwriteReplicas: replace a secret of the same name in a replica region.
    ///   - context: the caller.
    /// - Returns: the secret and its first version.
    package func create(
        name: String, description: String?, kmsKeyId: String?, value: SecretValue?, token: String?, tags: [KeyTag],
        replicas: [(region: String, kmsKeyId: String?)] = [], overwriteReplicas: Bool = false,
        context: RequestContext
    ) throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion?) {
        try context.authorize([name])
        return try withWriter { () throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion?) in
            let address = Scoped(name, in: context.scope)
            if let existing = secrets[address] {
                // The same request again (an SDK retry, same token and value): its answer, not an error.
                if let token, let value, existing.metadata.deletionDate == nil,
                    let known = existing.versions.first(where: { $0.id == token }),
                    try sameValue(known, of: existing, as: value, context)
                {
                    return (existing, known)
                }
                throw existing.metadata.deletionDate == nil
                    ? SealboxError.secretExists("The operation failed because the secret \(name) already exists.")
                    : SealboxError.invalidRequest(
                        "You can't create this secret because a secret with this name is already scheduled for deletion."
                    )
            }
            let now = clock.now()
            let arn = Self.arn(name, context)
            var secret = StoredSecret(
                name: name, scope: context.scope,
                metadata: SecretMetadata(
                    arn: arn, description: description, kmsKeyId: kmsKeyId, tags: tags, created: now, lastChanged: now),
                versions: [])
            var version: SecretVersion? = nil
            if let value {
                let id = token ?? Self.newVersionID()
                version = SecretVersion(
                    id: id, stages: [Self.current], created: now, binary: value.isBinary,
                    value: try seal(value, arn: arn, version: id, keyId: kmsKeyId, context))
                secret.versions = [version!]
            }
            let replaced = try addReplicas(replicas, to: &secret, overwrite: overwriteReplicas)
            try commit([
                SecretChange(secret: nil, writtenVersions: [], deleted: replaced),
                SecretChange(secret: secret, writtenVersions: secret.versions.map(\.id)),
            ])
            return (secrets[secret.address] ?? secret, version)
        }
    }

    /// Adds a version to a secret and moves its staging labels onto it (AWSCURRENT by default; the
    /// version that had AWSCURRENT then gets AWSPREVIOUS). A token that names an existing version with
    /// the same value is the same request again, and changes nothing.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - value: the value.
    ///   - token: the version id; a new UUID when nil.
    ///   - stages: the labels the version gets.
    ///   - context: the caller.
    /// - Returns: the secret and the version.
    package func putValue(
        _ id: String, value: SecretValue, token: String?, stages: [String]?, context: RequestContext
    ) throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion) {
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion) in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
            let added = try addVersion(to: &secret, value: value, token: token, stages: stages, context)
            if let removed = added.removed {
                try commit(
                    SecretChange(secret: secret, writtenVersions: secret.versions.map(\.id), removedVersions: removed))
            }
            return (secret, added.version)
        }
    }

    /// Adds a version to `secret` without writing it; the caller holds the writer lock and commits.
    /// - Returns: the version, and the versions pruned; nil for those when the token named an
    ///   existing version with the same value, which changes nothing.
    func addVersion(
        to secret: inout StoredSecret, value: SecretValue, token: String?, stages: [String]?,
        _ context: RequestContext
    ) throws(SealboxError) -> (version: SecretVersion, removed: [String]?) {
        let versionID = token ?? Self.newVersionID()
        let now = clock.now()
        if let index = secret.versions.firstIndex(where: { $0.id == versionID && $0.value.isEmpty }) {
            // The version a rotation made: its handler's createSecret step gives it its value.
            secret.versions[index].binary = value.isBinary
            secret.versions[index].value = try seal(
                value, arn: secret.metadata.arn, version: versionID, keyId: secret.metadata.kmsKeyId, context)
            if let stages { Self.move(stages, to: versionID, in: &secret) }
            secret.metadata.lastChanged = now
            return (secret.versions[index], [])
        }
        if let known = secret.versions.first(where: { $0.id == versionID }) {
            guard try sameValue(known, of: secret, as: value, context) else {
                throw SealboxError.secretExists(
                    "You can't modify an existing version, you can only create a new version.")
            }
            return (known, nil)
        }
        secret.versions.append(
            SecretVersion(
                id: versionID, stages: [], created: now, binary: value.isBinary,
                value: try seal(
                    value, arn: secret.metadata.arn, version: versionID, keyId: secret.metadata.kmsKeyId, context)))
        Self.move(stages ?? [Self.current], to: versionID, in: &secret)
        secret.metadata.lastChanged = now
        let removed = Self.prune(&secret)
        return (secret.versions.first { $0.id == versionID }!, removed)
    }

    /// Whether a version holds `value`, compared in constant time.
    private func sameValue(
        _ version: SecretVersion, of secret: StoredSecret, as value: SecretValue,
        _ context: RequestContext
    ) throws(SealboxError) -> Bool {
        guard version.binary == value.isBinary else { return false }
        let stored = try open(version, of: secret, context)
        return value.bytes.withUnsafeBytes { stored.constantTimeEquals($0) }
    }

    /// Moves labels onto one version: each leaves whichever version had it, and AWSCURRENT leaves
    /// AWSPREVIOUS behind on the version it left.
    static func move(_ stages: [String], to target: String, in secret: inout StoredSecret) {
        for stage in stages {
            let holder = secret.versions.firstIndex { $0.stages.contains(stage) && $0.id != target }
            if let holder {
                secret.versions[holder].stages.removeAll { $0 == stage }
                if stage == current {
                    for index in secret.versions.indices { secret.versions[index].stages.removeAll { $0 == previous } }
                    secret.versions[holder].stages.append(previous)
                }
            }
            if let index = secret.versions.firstIndex(where: { $0.id == target }),
                !secret.versions[index].stages.contains(stage)
            {
                secret.versions[index].stages.append(stage)
                if stage == current { secret.versions[index].stages.removeAll { $0 == previous } }
            }
        }
    }

    /// Drops the oldest versions without a label beyond ``maxVersions``.
    /// - Returns: the ids dropped.
    static func prune(_ secret: inout StoredSecret) -> [String] {
        var removed: [String] = []
        while secret.versions.count > maxVersions, let oldest = secret.versions.firstIndex(where: { $0.stages.isEmpty })
        {
            removed.append(secret.versions.remove(at: oldest).id)
        }
        return removed
    }

    /// A version's value, by version id and/or staging label (AWSCURRENT when neither is given). The
    /// version is recorded in the request's trail as served, for `sealbox inspect`.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - versionID: the version, if named.
    ///   - stage: the staging label, if named.
    ///   - context: the caller.
    /// - Returns: the secret, the version and its value in guarded memory.
    package func value(_ id: String, versionID: String?, stage: String?, context: RequestContext)
        throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion, value: SecureBytes)
    {
        let secret = try existing(id, context)
        guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
        let version = try Self.version(of: secret, versionID: versionID, stage: stage)
        let value = try open(version, of: secret, context)
        context.trail?.served(.secret(name: secret.name, scope: secret.scope, versionID: version.id))
        return (secret, version, value)
    }

    /// The version `versionID` names (carrying `stage` too, when both are given), or the one that
    /// carries `stage` (AWSCURRENT when neither is given). A rotation's new version has no value
    /// until its handler's createSecret step puts one, and is not found until then.
    /// - Parameters:
    ///   - secret: the secret.
    ///   - versionID: the version, if named.
    ///   - stage: the staging label, if named.
    package static func version(of secret: StoredSecret, versionID: String?, stage: String?)
        throws(SealboxError) -> SecretVersion
    {
        if let versionID {
            guard let version = secret.versions.first(where: { $0.id == versionID }),
                stage.map(version.stages.contains) ?? true, !version.value.isEmpty
            else {
                throw SealboxError.resourceNotFound(
                    "Secrets Manager can't find the specified secret value for VersionId: \(versionID)")
            }
            return version
        }
        let label = stage ?? Self.current
        guard let version = secret.version(staged: label), !version.value.isEmpty else {
            throw SealboxError.resourceNotFound(
                "Secrets Manager can't find the specified secret value for staging label: \(label)")
        }
        return version
    }

    /// Schedules a secret's deletion after a recovery window, or deletes it at once.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - recoveryDays: 7 to 30; 30 when nil.
    ///   - force: delete now, with no recovery.
    ///   - context: the caller.
    /// - Returns: the secret as it was, and when it is (or was) deleted.
    package func delete(_ id: String, recoveryDays: Int?, force: Bool, context: RequestContext)
        throws(SealboxError) -> (secret: StoredSecret, deletionDate: Double)
    {
        if force, recoveryDays != nil {
            throw SealboxError.invalidParameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
        }
        if let recoveryDays, !(7...30).contains(recoveryDays) {
            throw SealboxError.invalidParameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
        }
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> (secret: StoredSecret, deletionDate: Double) in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            if let primary = secret.metadata.primaryRegion { throw Self.replicaRefusal(primary) }
            if let replicas = secret.metadata.replicas, !replicas.isEmpty {
                throw SealboxError.invalidRequest(
                    "You can't delete secret \(secret.name) that still has replica Regions [\(replicas.map(\.region).joined(separator: ", "))]."
                )
            }
            let now = clock.now()
            if force {
                try commit(SecretChange(secret: nil, writtenVersions: [], deleted: [secret.address]))
                return (secret, now)
            }
            guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
            let date = now + Double(recoveryDays ?? 30) * 86_400
            secret.metadata.deletionDate = date
            try commit(SecretChange(secret: secret, writtenVersions: []))
            return (secret, date)
        }
    }

    /// Cancels a scheduled deletion.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - context: the caller.
    /// - Returns: the secret.
    package func restore(_ id: String, context: RequestContext) throws(SealboxError) -> StoredSecret {
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> StoredSecret in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            secret.metadata.deletionDate = nil
            try commit(SecretChange(secret: secret, writtenVersions: []))
            return secret
        }
    }

    /// Deletes the secrets whose recovery window has ended.
    /// - Returns: how many were deleted.
    @discardableResult
    public func purgeDeleted() throws -> Int {
        try withWriter { () throws(SealboxError) -> Int in
            let now = clock.now()
            let due = secrets.values.filter { ($0.metadata.deletionDate ?? .infinity) <= now }.map(\.address)
            if !due.isEmpty { try commit(SecretChange(secret: nil, writtenVersions: [], deleted: due)) }
            return due.count
        }
    }

    /// Deletes every secret; for `POST /moto-api/reset` on an ephemeral daemon.
    public func reset() throws {
        try withWriter { () throws(SealboxError) in
            let all = secrets.values.map(\.address)
            if !all.isEmpty { try commit(SecretChange(secret: nil, writtenVersions: [], deleted: all)) }
        }
    }

    static func newVersionID() -> String {
        let bytes = SecureBytes.random(count: 16).withUnsafeBytes { Array($0) }
        var uuid = bytes
        uuid[6] = (uuid[6] & 0x0f) | 0x40
        uuid[8] = (uuid[8] & 0x3f) | 0x80
        let hex = Hex.encode(uuid)
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4),
            hex.dropFirst(20),
        ]
        return parts.joined(separator: "-")
    }
}
