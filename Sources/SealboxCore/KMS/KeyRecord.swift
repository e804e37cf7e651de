import SealboxCrypto

/// The lifecycle state of a KMS key, as the KMS key-state table names it.
public enum KeyState: String, Codable, Sendable {
    case enabled = "Enabled"
    case disabled = "Disabled"
    case pendingDeletion = "PendingDeletion"
    /// An imported key without material: never imported, deleted, or expired.
    case pendingImport = "PendingImport"
    /// A multi-Region primary key scheduled for deletion while replicas remain: its waiting period
    /// starts when the last replica is deleted.
    case pendingReplicaDeletion = "PendingReplicaDeletion"

    /// Scheduled for deletion, whether or not its waiting period has started.
    public var isPendingDeletion: Bool { self == .pendingDeletion || self == .pendingReplicaDeletion }
}

/// Who manages a key: customers, or Sealbox on behalf of a service (`alias/aws/ssm`).
public enum KeyManager: String, Codable, Sendable {
    case customer = "CUSTOMER"
    case aws = "AWS"
}

/// A tag on a KMS key.
public struct KeyTag: Codable, Hashable, Sendable {
    public var key: String
    public var value: String

    /// - Parameters:
    ///   - key: the tag key.
    ///   - value: the tag value.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// Everything stored about a KMS key except its material.
public struct KeyRecord: Codable, Sendable {
    public var id: KeyID
    /// The account and region the key belongs to.
    public var scope: Scope
    public var created: Double
    public var description: String
    public var state: KeyState
    public var manager: KeyManager
    public var deletionDate: Double?
    public var pendingWindowInDays: Int?
    public var rotationEnabled: Bool
    public var rotationPeriodInDays: Int?
    /// When automatic rotation counts from: when it was enabled, or the last automatic rotation.
    public var rotationAnchor: Double?
    public var onDemandRotations: Int
    public var policy: String
    public var tags: [KeyTag]
    /// Versions below this no longer decrypt (Vault's `min_decryption_version`); nil means all do.
    public var minDecryptionVersion: UInt32?
    /// What the material is; records stored before key specs existed decode as symmetric keys.
    public var spec: KeySpec
    /// What the key may do, fixed at creation.
    public var usage: KeyUsage
    /// Made here, or imported.
    public var origin: KeyOrigin
    /// Imported material only: whether it expires, and when.
    public var expirationModel: ExpirationModel?
    public var validTo: Double?
    /// Imported material only: a SHA-256 of the key id and the first material imported, so that a
    /// reimport after deletion or expiry is checked to be the same material.
    public var importedDigest: [UInt8]?
    /// A multi-Region key's related keys; nil for a single-Region key.
    public var multiRegion: MultiRegionSet?

    /// Where the KMS finds the key.
    public var address: KeyAddress { KeyAddress(id, in: scope) }

    /// When an automatic rotation is next due, if rotation is enabled.
    public var nextRotationDate: Double? {
        guard rotationEnabled, let anchor = rotationAnchor, let period = rotationPeriodInDays else { return nil }
        return anchor + Double(period) * 86_400
    }

    enum CodingKeys: String, CodingKey {
        case id, scope, created, description, state, manager, deletionDate, pendingWindowInDays, rotationEnabled
        case rotationPeriodInDays, rotationAnchor, onDemandRotations, policy, tags, minDecryptionVersion
        case spec, usage, origin, expirationModel, validTo, importedDigest, multiRegion
    }

    /// - Parameters:
    ///   - id: the key id.
    ///   - scope: the account and region it belongs to.
    ///   - created: when it was made.
    ///   - description: the description.
    ///   - manager: who manages it.
    ///   - policy: the key policy.
    ///   - tags: the tags.
    ///   - spec: the kind of material.
    ///   - usage: what the key may do; a pair ``KeySpec/check(_:)`` accepts.
    ///   - origin: made here, or imported: an imported key starts `PendingImport`, without material.
    public init(
        id: KeyID,
        scope: Scope,
        created: Double,
        description: String,
        manager: KeyManager,
        policy: String,
        tags: [KeyTag],
        spec: KeySpec = .symmetricDefault,
        usage: KeyUsage = .encryptDecrypt,
        origin: KeyOrigin = .awsKMS
    ) {
        self.id = id
        self.scope = scope
        self.created = created
        self.description = description
        self.state = .enabled
        self.manager = manager
        self.rotationEnabled = false
        self.onDemandRotations = 0
        self.policy = policy
        self.tags = tags
        self.spec = spec
        self.usage = usage
        self.origin = origin
        if origin == .external { state = .pendingImport }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let idText = try c.decode(String.self, forKey: .id)
        guard let id = KeyID(idText) else {
            throw DecodingError.dataCorruptedError(forKey: .id, in: c, debugDescription: "bad key id")
        }
        self.id = id
        scope = try c.decode(Scope.self, forKey: .scope)
        created = try c.decode(Double.self, forKey: .created)
        description = try c.decode(String.self, forKey: .description)
        state = try c.decode(KeyState.self, forKey: .state)
        manager = try c.decode(KeyManager.self, forKey: .manager)
        deletionDate = try c.decodeIfPresent(Double.self, forKey: .deletionDate)
        pendingWindowInDays = try c.decodeIfPresent(Int.self, forKey: .pendingWindowInDays)
        rotationEnabled = try c.decode(Bool.self, forKey: .rotationEnabled)
        rotationPeriodInDays = try c.decodeIfPresent(Int.self, forKey: .rotationPeriodInDays)
        rotationAnchor = try c.decodeIfPresent(Double.self, forKey: .rotationAnchor)
        onDemandRotations = try c.decode(Int.self, forKey: .onDemandRotations)
        policy = try c.decode(String.self, forKey: .policy)
        tags = try c.decode([KeyTag].self, forKey: .tags)
        minDecryptionVersion = try c.decodeIfPresent(UInt32.self, forKey: .minDecryptionVersion)
        spec = try c.decodeIfPresent(KeySpec.self, forKey: .spec) ?? .symmetricDefault
        usage = try c.decodeIfPresent(KeyUsage.self, forKey: .usage) ?? .encryptDecrypt
        origin = try c.decodeIfPresent(KeyOrigin.self, forKey: .origin) ?? .awsKMS
        expirationModel = try c.decodeIfPresent(ExpirationModel.self, forKey: .expirationModel)
        validTo = try c.decodeIfPresent(Double.self, forKey: .validTo)
        importedDigest = try c.decodeIfPresent([UInt8].self, forKey: .importedDigest)
        multiRegion = try c.decodeIfPresent(MultiRegionSet.self, forKey: .multiRegion)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.description, forKey: .id)
        try c.encode(scope, forKey: .scope)
        try c.encode(created, forKey: .created)
        try c.encode(description, forKey: .description)
        try c.encode(state, forKey: .state)
        try c.encode(manager, forKey: .manager)
        try c.encodeIfPresent(deletionDate, forKey: .deletionDate)
        try c.encodeIfPresent(pendingWindowInDays, forKey: .pendingWindowInDays)
        try c.encode(rotationEnabled, forKey: .rotationEnabled)
        try c.encodeIfPresent(rotationPeriodInDays, forKey: .rotationPeriodInDays)
        try c.encodeIfPresent(rotationAnchor, forKey: .rotationAnchor)
        try c.encode(onDemandRotations, forKey: .onDemandRotations)
        try c.encode(policy, forKey: .policy)
        try c.encode(tags, forKey: .tags)
        try c.encodeIfPresent(minDecryptionVersion, forKey: .minDecryptionVersion)
        try c.encode(spec, forKey: .spec)
        try c.encode(usage, forKey: .usage)
        if origin != .awsKMS { try c.encode(origin, forKey: .origin) }
        try c.encodeIfPresent(expirationModel, forKey: .expirationModel)
        try c.encodeIfPresent(validTo, forKey: .validTo)
        try c.encodeIfPresent(importedDigest, forKey: .importedDigest)
        try c.encodeIfPresent(multiRegion, forKey: .multiRegion)
    }
}

/// How a key version came to be.
public enum RotationType: String, Codable, Sendable {
    case created = "CREATED"
    case automatic = "AUTOMATIC"
    case onDemand = "ON_DEMAND"
}

/// One version of a key's material, wrapped under the root key.
public struct KeyVersionRecord: Sendable, Equatable {
    public var version: UInt32
    /// An envelope token sealed under the root key (see ``KeyWrapping``).
    public var wrappedMaterial: [UInt8]
    public var created: Double
    public var rotationType: RotationType

    /// - Parameters:
    ///   - version: the version number, from 1.
    ///   - wrappedMaterial: the material sealed under the root key.
    ///   - created: when it was made.
    ///   - rotationType: how it was made.
    public init(version: UInt32, wrappedMaterial: [UInt8], created: Double, rotationType: RotationType) {
        self.version = version
        self.wrappedMaterial = wrappedMaterial
        self.created = created
        self.rotationType = rotationType
    }
}

/// An alias naming a key.
public struct AliasRecord: Sendable, Equatable {
    /// The full name, `alias/...`.
    public var name: String
    /// The account and region of the alias and its key: an alias names a key of its own scope.
    public var scope: Scope
    public var keyID: KeyID
    public var created: Double
    public var updated: Double

    /// - Parameters:
    ///   - name: the full alias name.
    ///   - scope: the account and region of the alias and its key.
    ///   - keyID: the target key.
    ///   - created: when it was made.
    ///   - updated: when it last changed target.
    public init(name: String, scope: Scope, keyID: KeyID, created: Double, updated: Double) {
        self.name = name
        self.scope = scope
        self.keyID = keyID
        self.created = created
        self.updated = updated
    }

    /// Where the KMS finds the alias.
    public var address: Scoped<String> { Scoped(name, in: scope) }
    /// The key it names.
    public var target: KeyAddress { KeyAddress(keyID, in: scope) }
}

/// A key with all its versions, as the store holds it.
public struct StoredKey: Sendable {
    public var record: KeyRecord
    public var versions: [KeyVersionRecord]

    /// - Parameters:
    ///   - record: the key's metadata.
    ///   - versions: its material versions, oldest first.
    public init(record: KeyRecord, versions: [KeyVersionRecord]) {
        self.record = record
        self.versions = versions
    }
}
