import SealboxCrypto

/// The AWS Secrets Manager service: secrets in an account and region, with versions and staging
/// labels. Each version's value is sealed under the secret's KMS key (default
/// `alias/aws/secretsmanager`) with the secret's ARN and the version id as encryption context.
///
/// Reads use an in-memory snapshot in a sharded map and touch no disk; writes are serialised by one
/// writer lock, made durable in the ``SecretStore``, then published.
public final class SecretsManager: Sendable {
    let store: any SecretStore
    package let kms: KMS
    package let clock: any WallClock
    package let secrets = ShardedMap<Scoped<String>, StoredSecret>()
    private let writer: WriterLock
    /// The config's `rotation.handlers`: `RotationLambdaARN` to executable.
    let rotationHandlers = Locked<[String: String]>([:])
    /// Secrets whose rotation is running, so that one secret has one rotation at a time.
    let rotating = Locked<Set<Scoped<String>>>([])
    /// On a shared store, scheduled rotations this daemon has no handler for, with the window it
    /// left to the daemons that have one; a later window is looked at again.
    let leftToOtherHosts = Locked<[Scoped<String>: Double]>([:])
    /// Rotations to run, in the order they started; the daemon's RotationService runs them.
    public let rotationJobs: AsyncStream<RotationJob>
    let rotationJobsContinuation: AsyncStream<RotationJob>.Continuation
    /// Wakes the rotation scheduler when a schedule may have moved.
    package let scheduleChanges: AsyncStream<Void>
    let scheduleChangesContinuation: AsyncStream<Void>.Continuation

    /// The key values are sealed under when the secret names none.
    public static let defaultKeyAlias = "alias/aws/secretsmanager"
    /// The staging labels Secrets Manager moves itself.
    public static let current = "AWSCURRENT"
    public static let previous = "AWSPREVIOUS"
    public static let pending = "AWSPENDING"
    /// Versions kept per secret: beyond it, the oldest versions without a label go.
    public static let maxVersions = 100
    /// The largest SecretString or SecretBinary.
    public static let maxValueBytes = 65_536

    /// Loads every secret from `store`.
    /// - Parameters:
    ///   - store: durable storage.
    ///   - kms: the KMS service that seals the values.
    ///   - clock: the time source.
    public init(store: any SecretStore, kms: KMS, clock: any WallClock = SystemClock()) throws {
        self.store = store
        writer = WriterLock(store: store)
        self.kms = kms
        self.clock = clock
        (rotationJobs, rotationJobsContinuation) = AsyncStream.makeStream()
        (scheduleChanges, scheduleChangesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        try reload()
        scheduleChangesContinuation.yield()
    }

    /// Rebuilds the in-memory state from the store.
    public func reload() throws {
        let loaded = try store.loadSecrets()
        secrets.replaceAll { reserve, add in
            reserve(loaded.count)
            for secret in loaded { add(secret.address, secret) }
        }
    }

    /// The number of secrets in every scope, those scheduled for deletion included; for status reports.
    public var secretCount: Int { secrets.count }

    package func withWriter<R, Failure: Error>(_ body: () throws(Failure) -> R) throws(Failure) -> R {
        try writer.withLock(body)
    }

    /// Applies an operation's change durably, with its replicas kept in step, then publishes it. The
    /// caller holds the writer lock. A replica changes only through its primary.
    package func commit(_ change: SecretChange) throws(SealboxError) {
        if let secret = change.secret, let primary = secret.metadata.primaryRegion {
            throw Self.replicaRefusal(primary)
        }
        try commit([change])
    }

    /// Applies changes durably in one transaction, each primary's replicas kept in step, then
    /// publishes them. The caller holds the writer lock.
    package func commit(_ changes: [SecretChange]) throws(SealboxError) {
        var all: [SecretChange] = []
        var deleted: Set<Scoped<String>> = []
        for var change in changes {
            deleted.formUnion(change.deleted)
            var replicas: [SecretChange] = []
            if var primary = change.secret, !(primary.metadata.replicas ?? []).isEmpty {
                replicas = replicate(&primary, removing: change.removedVersions, absent: deleted)
                change.secret = primary
            }
            all.append(change)
            all += replicas
        }
        do {
            try store.apply(all)
        } catch {
            throw SealboxError.store(error, otherwise: .internalFailure("The secret store could not be written"))
        }
        for change in all {
            if let secret = change.secret { secrets[secret.address] = secret }
            for address in change.deleted { secrets[address] = nil }
        }
    }

    /// The secret a `SecretId` names in the caller's account and region: its name, its full ARN, or
    /// its ARN without the random suffix.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - context: the caller.
    /// Another account's secret is found only by its full ARN, and only when its resource policy
    /// allows the caller the operation.
    package func secret(_ id: String, _ context: RequestContext) -> StoredSecret? {
        guard id.hasPrefix("arn:") else { return secrets[Scoped(id, in: context.scope)] }
        let parts = id.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
        guard parts.count == 7, parts[0...3] == ["arn", "aws", "secretsmanager", Substring(context.region)],
            parts[5] == "secret", Scope.isAccountID(String(parts[4]))
        else { return nil }
        let scope = Scope(account: String(parts[4]), region: context.region)
        let resource = String(parts[6])
        // A full ARN ends in `-` and six characters; the name before them must own exactly this ARN.
        if resource.count > 7, resource.dropLast(6).last == "-",
            let found = secrets[Scoped(String(resource.dropLast(7)), in: scope)], found.metadata.arn == id
        {
            guard scope != context.scope else { return found }
            return found.metadata.resourcePolicy?.names(allow: true, context, context.action.name) == true
                ? found : nil
        }
        return scope == context.scope ? secrets[Scoped(resource, in: scope)] : nil
    }

    /// The secret `id` names, for an operation that needs it to exist; the policy is checked on its
    /// name, and a `Deny` of its resource policy that names the caller refuses.
    package func existing(_ id: String, _ context: RequestContext) throws(SealboxError) -> StoredSecret {
        let found = secret(id, context)
        try context.authorize([found?.name ?? id])
        guard let found else { throw Self.notFound }
        if let policy = found.metadata.resourcePolicy, policy.names(allow: false, context, context.action.name) {
            throw SealboxError.accessDenied(
                "The secret's resource policy denies \(context.action.name) to this caller.")
        }
        return found
    }

    package static let notFound = SealboxError.resourceNotFound("Secrets Manager can't find the specified secret.")
    package static let markedForDeletion = SealboxError.invalidRequest(
        "You can't perform this operation on the secret because it was marked for deletion.")

    /// A new secret's ARN: its name and six random characters, as AWS makes them.
    static func arn(_ name: String, _ context: RequestContext) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        let suffix = String((0..<6).map { _ in alphabet.randomElement(using: &generator)! })
        return "arn:aws:secretsmanager:\(context.region):\(context.accountID):secret:\(name)-\(suffix)"
    }

    /// The encryption context a version's value is sealed with.
    static func encryptionContext(arn: String, version: String) -> EncryptionContext {
        EncryptionContext(["SecretARN": arn, "SecretVersionId": version])
    }

    /// Seals a value for a version of `secret`.
    func seal(_ value: SecretValue, arn: String, version: String, keyId: String?, _ context: RequestContext)
        throws(SealboxError) -> [UInt8]
    {
        do {
            if keyId == nil {
                try kms.ensureManagedKey(
                    alias: Self.defaultKeyAlias, in: context.scope,
                    description: "Default key that protects my Secrets Manager data when no other key is defined")
            }
            return try kms.sealValue(
                value.bytes, keyReference: keyId ?? Self.defaultKeyAlias,
                encryptionContext: Self.encryptionContext(arn: arn, version: version), context: context
            ).ciphertext
        } catch {
            if error.isStoreFailure { throw error }
            throw SealboxError.encryptionFailure(
                "Secrets Manager can't encrypt the protected secret text using the provided KMS key: \(error.message)")
        }
    }

    /// Opens a version's value.
    package func open(_ version: SecretVersion, of secret: StoredSecret, _ context: RequestContext)
        throws(SealboxError) -> SecureBytes
    {
        do {
            return try kms.open(
                version.value, encryptionContext: Self.encryptionContext(arn: secret.metadata.arn, version: version.id),
                expectedKey: nil, context: context.within(secret.scope)
            ).plaintext
        } catch {
            throw SealboxError.decryptionFailure(
                "Secrets Manager can't decrypt the protected secret text using the provided KMS key: \(error.message)")
        }
    }
}

/// A secret's value as a caller gives it: text or bytes, in guarded memory.
package enum SecretValue {
    case string(SecureBytes)
    case binary(SecureBytes)

    package var bytes: SecureBytes {
        switch self {
        case .string(let bytes), .binary(let bytes): bytes
        }
    }

    package var isBinary: Bool {
        if case .binary = self { true } else { false }
    }
}
