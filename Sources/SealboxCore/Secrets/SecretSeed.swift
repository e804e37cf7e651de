import SealboxCrypto

/// A secret as a fixture file describes it: its metadata and the versions it must hold, each with
/// its staging labels. Applied by ``SecretsManager/seed(_:context:)``.
package struct SecretSeed {
    /// One version.
    package struct Version {
        /// Its id; a new UUID when nil.
        package var id: String?
        package var value: SecretValue
        package var stages: [String]

        /// - Parameters: see the properties.
        package init(id: String?, value: SecretValue, stages: [String]) {
            self.id = id
            self.value = value
            self.stages = stages
        }
    }

    package var name: String
    /// Nil leaves an existing secret's description as it is.
    package var description: String?
    package var kmsKeyId: String?
    /// Nil leaves an existing secret's tags as they are.
    package var tags: [KeyTag]?
    /// Exactly one carries AWSCURRENT; the caller has checked it.
    package var versions: [Version]

    /// - Parameters: see the properties.
    package init(name: String, description: String?, kmsKeyId: String?, tags: [KeyTag]?, versions: [Version]) {
        self.name = name
        self.description = description
        self.kmsKeyId = kmsKeyId
        self.tags = tags
        self.versions = versions
    }
}

extension SecretsManager {
    /// Brings a secret in line with a fixture in one transaction: creates it when missing; when it
    /// differs, sets its description, key and tags and writes the fixture's versions with their
    /// labels; leaves it
    /// alone when it already matches, so applying a file twice changes nothing.
    /// - Parameters:
    ///   - seed: the fixture.
    ///   - context: the caller, in the secret's account and region.
    /// - Returns: whether anything was written.
    package func seed(_ seed: SecretSeed, context: RequestContext) throws(SealboxError) -> Bool {
        try withWriter { () throws(SealboxError) -> Bool in
            let address = Scoped(seed.name, in: context.scope)
            if let existing = secrets[address] {
                guard existing.metadata.deletionDate == nil else { throw Self.markedForDeletion }
                if try matches(existing, seed, context) { return false }
            }
            let now = clock.now()
            var secret =
                secrets[address]
                ?? StoredSecret(
                    name: seed.name, scope: context.scope,
                    metadata: SecretMetadata(
                        arn: Self.arn(seed.name, context), description: nil, kmsKeyId: nil, tags: [], created: now,
                        lastChanged: now),
                    versions: [])
            if let description = seed.description { secret.metadata.description = description }
            secret.metadata.kmsKeyId = seed.kmsKeyId
            if let tags = seed.tags { secret.metadata.tags = tags }
            secret.metadata.lastChanged = now
            // The versions go in in the file's order, then get their labels, AWSCURRENT first: moving
            // it leaves AWSPREVIOUS on the version that had it, which a later label may then move on.
            var removed: [String] = []
            var ids: [String] = []
            for version in seed.versions {
                let added = try addVersion(to: &secret, value: version.value, token: version.id, stages: [], context)
                ids.append(added.version.id)
                removed += added.removed ?? []
            }
            for (version, id) in zip(seed.versions, ids) where version.stages.contains(Self.current) {
                Self.move(version.stages, to: id, in: &secret)
            }
            for (version, id) in zip(seed.versions, ids) where !version.stages.contains(Self.current) {
                Self.move(version.stages, to: id, in: &secret)
            }
            try commit(
                SecretChange(secret: secret, writtenVersions: secret.versions.map(\.id), removedVersions: removed))
            return true
        }
    }

    /// Whether a secret already holds what the fixture says: its key, description and tags when given,
    /// and for each version one with the same labels, value and (when given) id.
    private func matches(_ secret: StoredSecret, _ seed: SecretSeed, _ context: RequestContext) throws(SealboxError)
        -> Bool
    {
        guard secret.metadata.kmsKeyId == seed.kmsKeyId,
            seed.description == nil || secret.metadata.description == seed.description,
            seed.tags == nil || Set(secret.metadata.tags) == Set(seed.tags!)
        else { return false }
        for version in seed.versions {
            let candidates = secret.versions.filter {
                Set($0.stages) == Set(version.stages) && (version.id == nil || $0.id == version.id)
                    && $0.binary == version.value.isBinary
            }
            var found = false
            for candidate in candidates {
                let stored = try open(candidate, of: secret, context)
                if version.value.bytes.withUnsafeBytes({ stored.constantTimeEquals($0) }) {
                    found = true
                    break
                }
            }
            guard found else { return false }
        }
        return true
    }
}
