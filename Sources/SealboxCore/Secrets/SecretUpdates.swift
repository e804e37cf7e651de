import SealboxCrypto

// Changes to an existing secret besides PutSecretValue: its staging labels, its metadata and its
// tags. Each checks the policy, then applies AWS's rule under the writer lock.
extension SecretsManager {
    /// Most tags one secret carries.
    package static let maxTags = 50

    /// Moves a staging label to a version, or removes it from one.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - stage: the label.
    ///   - moveTo: the version that gets it, if any.
    ///   - removeFrom: the version that has it now; required when another version has it.
    ///   - context: the caller.
    /// - Returns: the secret.
    package func updateVersionStage(
        _ id: String, stage: String, moveTo: String?, removeFrom: String?, context: RequestContext
    ) throws(SealboxError) -> StoredSecret {
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> StoredSecret in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
            for version in [moveTo, removeFrom].compactMap({ $0 })
            where !secret.versions.contains(where: { $0.id == version }) {
                throw SealboxError.resourceNotFound(
                    "Secrets Manager can't find the specified secret version: \(version)")
            }
            let holder = secret.version(staged: stage)?.id
            if let removeFrom, holder != removeFrom {
                throw SealboxError.invalidParameter(
                    "The staging label \(stage) is not attached to version \(removeFrom).")
            }
            if let moveTo {
                if let holder, holder != moveTo, removeFrom == nil {
                    throw SealboxError.invalidParameter(
                        "The parameter RemoveFromVersionId can't be empty. Staging label \(stage) is currently attached to version \(holder), so you must explicitly reference that version in RemoveFromVersionId."
                    )
                }
                if stage == Self.current, secret.versions.contains(where: { $0.id == moveTo && $0.value.isEmpty }) {
                    throw SealboxError.invalidRequest(
                        "You can't move AWSCURRENT to version \(moveTo): it has no value yet.")
                }
                Self.move([stage], to: moveTo, in: &secret)
            } else if let removeFrom {
                guard stage != Self.current else {
                    throw SealboxError.invalidParameter(
                        "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed."
                    )
                }
                let index = secret.versions.firstIndex { $0.id == removeFrom }!
                secret.versions[index].stages.removeAll { $0 == stage }
            }
            secret.metadata.lastChanged = clock.now()
            try commit(SecretChange(secret: secret, writtenVersions: secret.versions.map(\.id)))
            return secret
        }
    }

    /// Changes a secret's description or key, and adds a version when a value is given.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - description: the new description, if any.
    ///   - kmsKeyId: the key later versions are sealed under, if any.
    ///   - value: a new AWSCURRENT value, if any.
    ///   - token: the new version's id.
    ///   - context: the caller.
    /// - Returns: the secret and the new version, if one was made.
    package func update(
        _ id: String, description: String?, kmsKeyId: String?, value: SecretValue?, token: String?,
        context: RequestContext
    ) throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion?) {
        _ = try existing(id, context)
        // One transaction: a value that cannot be sealed leaves the description and key as they were.
        return try withWriter { () throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion?) in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
            if let description { secret.metadata.description = description }
            if let kmsKeyId { secret.metadata.kmsKeyId = kmsKeyId.isEmpty ? nil : kmsKeyId }
            secret.metadata.lastChanged = clock.now()
            var version: SecretVersion? = nil
            var removed: [String] = []
            if let value {
                let added = try addVersion(to: &secret, value: value, token: token, stages: nil, context)
                version = added.version
                removed = added.removed ?? []
            }
            try commit(
                SecretChange(secret: secret, writtenVersions: secret.versions.map(\.id), removedVersions: removed))
            return (secret, version)
        }
    }

    /// Adds tags, replacing those with the same keys, up to ``maxTags``; or removes the given keys.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - adding: the tags to add.
    ///   - removing: the keys to remove.
    ///   - context: the caller.
    package func retag(_ id: String, adding: [KeyTag], removing: [String], context: RequestContext)
        throws(SealboxError)
    {
        _ = try existing(id, context)
        try withWriter { () throws(SealboxError) in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            var tags = secret.metadata.tags.filter { !removing.contains($0.key) }
            for tag in adding {
                tags.removeAll { $0.key == tag.key }
                tags.append(tag)
            }
            guard tags.count <= Self.maxTags else {
                throw SealboxError.limitExceeded("A secret can have at most \(Self.maxTags) tags.")
            }
            secret.metadata.tags = tags
            try commit(SecretChange(secret: secret, writtenVersions: []))
        }
    }
}

extension SecretsManager {
    /// Attaches a resource policy to a secret of the caller's account, or removes it.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - policy: the policy; nil removes it.
    ///   - blockPublic: refuse a policy that allows every caller.
    ///   - context: the caller.
    /// - Returns: the secret.
    package func setResourcePolicy(
        _ id: String, _ policy: SecretResourcePolicy?, blockPublic: Bool, context: RequestContext
    ) throws(SealboxError) -> StoredSecret {
        _ = try existing(id, context)
        if blockPublic, policy?.isPublic == true {
            throw SealboxError.publicPolicy("This resource policy contains a statement that grants public access.")
        }
        return try withWriter { () throws(SealboxError) -> StoredSecret in
            guard var secret = self.secret(id, context), secret.scope == context.scope else { throw Self.notFound }
            secret.metadata.resourcePolicy = policy
            secret.metadata.lastChanged = clock.now()
            try commit(SecretChange(secret: secret, writtenVersions: []))
            return secret
        }
    }
}
