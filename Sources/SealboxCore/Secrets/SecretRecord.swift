/// One version of a secret: its value sealed under the secret's KMS key (an envelope v2 token) with
/// the encryption context AWS uses, `SecretARN` and `SecretVersionId`, so a value moved to another
/// secret or version does not open.
public struct SecretVersion: Sendable, Hashable {
    /// A UUID: the `ClientRequestToken` that made it.
    public var id: String
    /// Its staging labels: `AWSCURRENT`, `AWSPREVIOUS`, `AWSPENDING` or the caller's own.
    public var stages: [String]
    public var created: Double
    /// Whether the value is a `SecretBinary` rather than a `SecretString`.
    public var binary: Bool
    /// The sealed value; never plaintext. Empty for the version a rotation starts with, until its
    /// handler's `createSecret` step puts a value in it.
    public var value: [UInt8]

    /// - Parameters: see the properties.
    public init(id: String, stages: [String], created: Double, binary: Bool, value: [UInt8]) {
        self.id = id
        self.stages = stages
        self.created = created
        self.binary = binary
        self.value = value
    }
}

/// What describes a secret besides its versions.
public struct SecretMetadata: Sendable, Hashable, Codable {
    /// `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`.
    public var arn: String
    public var description: String?
    /// The key as the caller named it; nil for `alias/aws/secretsmanager`.
    public var kmsKeyId: String?
    public var tags: [KeyTag]
    public var created: Double
    public var lastChanged: Double
    /// When a scheduled deletion removes it; nil unless deletion is pending.
    public var deletionDate: Double?
    /// How it is rotated; nil if it never was.
    public var rotation: SecretRotation?
    /// Who of other accounts may use it, and who may not; nil without one.
    public var resourcePolicy: SecretResourcePolicy?
    /// A primary's replicas; nil or empty when it has none.
    public var replicas: [SecretReplica]?
    /// A replica's primary region; nil for a secret that is not a replica.
    public var primaryRegion: String?

    /// - Parameters: see the properties.
    public init(
        arn: String, description: String?, kmsKeyId: String?, tags: [KeyTag], created: Double, lastChanged: Double,
        deletionDate: Double? = nil, rotation: SecretRotation? = nil
    ) {
        self.arn = arn
        self.description = description
        self.kmsKeyId = kmsKeyId
        self.tags = tags
        self.created = created
        self.lastChanged = lastChanged
        self.deletionDate = deletionDate
        self.rotation = rotation
    }
}

/// A secret's rotation: the handler, the schedule and what happened last.
public struct SecretRotation: Sendable, Hashable, Codable {
    /// Whether rotation is on; `CancelRotateSecret` turns it off and keeps the rest.
    public var enabled: Bool
    /// The `RotationLambdaARN`, which the config's `rotation.handlers` maps to an executable.
    public var lambdaARN: String
    public var schedule: RotationSchedule?
    public var lastRotated: Double?
    /// When the daemon starts the next rotation; nil without a schedule.
    public var nextRotation: Double?

    /// - Parameters: see the properties.
    public init(
        enabled: Bool, lambdaARN: String, schedule: RotationSchedule?, lastRotated: Double? = nil,
        nextRotation: Double? = nil
    ) {
        self.enabled = enabled
        self.lambdaARN = lambdaARN
        self.schedule = schedule
        self.lastRotated = lastRotated
        self.nextRotation = nextRotation
    }
}

/// A secret with its versions, oldest first.
public struct StoredSecret: Sendable, Hashable {
    public var name: String
    public var scope: Scope
    public var metadata: SecretMetadata
    public var versions: [SecretVersion]

    /// - Parameters: see the properties.
    public init(name: String, scope: Scope, metadata: SecretMetadata, versions: [SecretVersion]) {
        self.name = name
        self.scope = scope
        self.metadata = metadata
        self.versions = versions
    }

    /// Its name in its account and region.
    public var address: Scoped<String> { Scoped(name, in: scope) }

    /// The version that carries `stage`, if any.
    /// - Parameter stage: a staging label.
    public func version(staged stage: String) -> SecretVersion? {
        versions.first { $0.stages.contains(stage) }
    }
}

/// One atomic change to the secret store.
public struct SecretChange: Sendable {
    /// The secret to insert or update: its metadata, and the versions listed in `writtenVersions`.
    public var secret: StoredSecret?
    /// The ids of `secret`'s versions to insert or replace.
    public var writtenVersions: [String]
    /// The ids of `secret`'s versions to remove.
    public var removedVersions: [String]
    /// Whole secrets to remove.
    public var deleted: [Scoped<String>]

    /// - Parameters: see the properties.
    public init(
        secret: StoredSecret?, writtenVersions: [String], removedVersions: [String] = [],
        deleted: [Scoped<String>] = []
    ) {
        self.secret = secret
        self.writtenVersions = writtenVersions
        self.removedVersions = removedVersions
        self.deleted = deleted
    }
}
