import Foundation
import SealboxCrypto

/// The native lease API: a handler keeps a lease id in global scope and redeems it for the
/// plaintext during an invocation. Redeems decrypt now, so updated or rotated secrets are seen at
/// once, and touch no disk. A lease opens a parameter or a Secrets Manager secret.
public final class LeaseService: Sendable {
    let ssm: SSM
    let secrets: SecretsManager?
    package let clock: any WallClock
    let table = LeaseTable()
    private let limits: Locked<LeaseSettings>

    /// The action a secret lease needs besides `lease:Create` or `lease:Redeem`, on the secret's
    /// name: a lease reads what GetSecretValue reads, so it needs the same grant.
    public static let secretReadAction = "secretsmanager:GetSecretValue"

    /// - Parameters:
    ///   - ssm: where the leased parameters live.
    ///   - secrets: where the leased secrets live; nil when the daemon serves none.
    ///   - settings: TTLs and the table bound.
    ///   - clock: the time source.
    public init(
        ssm: SSM, secrets: SecretsManager? = nil, settings: LeaseSettings = LeaseSettings(),
        clock: any WallClock = SystemClock()
    ) {
        self.ssm = ssm
        self.secrets = secrets
        self.clock = clock
        limits = Locked(settings)
    }

    /// The limits in force.
    public var settings: LeaseSettings {
        get { limits.withLock { $0 } }
        set { limits.withLock { $0 = newValue } }
    }

    /// The number of active leases.
    public var activeCount: Int { table.count }

    private func authorize(_ context: RequestContext, _ action: Action, _ resources: [String]) throws(SealboxError) {
        try context.authorize(action.name, resources)
    }

    /// A lease names an existing parameter as GetParameter does (a name in either spelling, or its
    /// ARN); a name no parameter can have is refused before the policy check records it in the audit
    /// trail, so a caller cannot fill the log with junk names.
    /// - Returns: the name the parameter is stored under, or the name as given when there is none.
    private func resolve(name text: String, _ context: RequestContext) throws(SealboxError) -> String {
        guard text.utf8.count <= ParameterName.maxLength + 64 else {
            throw SealboxError.validation("name: a parameter name is at most \(ParameterName.maxLength) characters")
        }
        let reference = try ParameterName.parse(text, context)
        guard reference.selector == nil else {
            throw SealboxError.validation(
                "name: a lease serves the parameter's newest version; leave out the :version or :label selector")
        }
        try ParameterName.validate(reference.name, context, allowingPublic: true)
        return ssm.parameter(reference, context)?.name ?? (reference.elsewhere ? text : reference.name)
    }

    /// The TTL to grant: the default when none is asked, capped at the maximum, as Vault does.
    private func ttl(_ requested: Int?) throws(SealboxError) -> Int {
        let settings = self.settings
        let ttl = requested ?? settings.defaultTtlSeconds
        guard ttl >= 1 else { throw SealboxError.validation("ttlSeconds must be at least 1") }
        return min(ttl, settings.maxTtlSeconds)
    }

    /// Creates a lease on an existing parameter for the caller.
    /// - Parameters:
    ///   - name: the parameter name.
    ///   - ttlSeconds: the lifetime; the default when nil.
    ///   - maxUses: the most redeems; 0 for no limit.
    ///   - context: the caller, who becomes the owner.
    public func create(name: String, ttlSeconds: Int?, maxUses: Int?, context: RequestContext) throws(SealboxError)
        -> Lease
    {
        let name = try resolve(name: name, context)
        try authorize(context, .createLease, [name])
        let ttl = try ttl(ttlSeconds)
        let maxUses = maxUses ?? 0
        guard maxUses >= 0 else { throw SealboxError.validation("maxUses must be 0 (no limit) or more") }
        let scope = ParameterName.scope(of: name, context)
        guard let parameter = ssm.parameter(named: name, in: scope) else {
            throw SealboxError.noParameter(name)
        }
        return try insert(
            name: name, scope: scope, target: .parameter(version: parameter.versions.last!.version), ttl: ttl,
            maxUses: maxUses, context: context)
    }

    /// Creates a lease on an existing Secrets Manager secret for the caller. The caller needs
    /// `lease:Create` and ``secretReadAction`` on the secret's name.
    /// - Parameters:
    ///   - secretId: the secret's name, full ARN or ARN without its suffix, as GetSecretValue takes it.
    ///   - versionID: a version to serve on every redeem, if any.
    ///   - stage: the staging label whose version each redeem serves; AWSCURRENT when neither is given.
    ///   - ttlSeconds: the lifetime; the default when nil.
    ///   - maxUses: the most redeems; 0 for no limit.
    ///   - context: the caller, who becomes the owner.
    public func create(
        secretId: String, versionID: String?, stage: String?, ttlSeconds: Int?, maxUses: Int?,
        context: RequestContext
    ) throws(SealboxError) -> Lease {
        // Sizes GetSecretValue allows, checked before the policy check records the id.
        guard (1...2048).contains(secretId.utf8.count) else {
            throw SealboxError.validation("secretId: a SecretId is 1 to 2048 characters")
        }
        if let versionID, !(32...64).contains(versionID.utf8.count) {
            throw SealboxError.validation("versionId: a version id is 32 to 64 characters")
        }
        if let stage, !(1...256).contains(stage.utf8.count) {
            throw SealboxError.validation("versionStage: a staging label is 1 to 256 characters")
        }
        guard let secrets else { throw SealboxError.noSecretsManager }
        let found = secrets.secret(secretId, context)
        let name = found?.name ?? secretId
        try authorize(context, .createLease, [name])
        try context.authorize(Self.secretReadAction, [name])
        let ttl = try ttl(ttlSeconds)
        let maxUses = maxUses ?? 0
        guard maxUses >= 0 else { throw SealboxError.validation("maxUses must be 0 (no limit) or more") }
        guard let secret = found else { throw SecretsManager.notFound }
        guard secret.metadata.deletionDate == nil else { throw SecretsManager.markedForDeletion }
        let version = try SecretsManager.version(of: secret, versionID: versionID, stage: stage)
        let target = LeaseTarget.secret(
            arn: secret.metadata.arn, versionID: versionID,
            stage: versionID == nil ? stage ?? SecretsManager.current : stage,
            createdVersion: version.id)
        return try insert(
            name: secret.name, scope: secret.scope, target: target, ttl: ttl, maxUses: maxUses, context: context)
    }

    /// Adds a new lease for the caller, within the table's bounds.
    private func insert(
        name: String, scope: Scope, target: LeaseTarget, ttl: Int, maxUses: Int, context: RequestContext
    ) throws(SealboxError) -> Lease {
        let now = clock.now()
        let lease = Lease(
            id: LeaseID.random(), name: name, scope: scope, target: target, owner: LeaseOwner(context.principal),
            created: now, expiresAt: now + Double(ttl), maxUses: maxUses, uses: 0)
        let settings = self.settings
        var refusal = table.insert(lease, limit: settings.maxActive, perOwner: settings.maxActivePerOwner)
        // Expired leases still count until swept: sweep once before refusing.
        if refusal != nil, sweep() > 0 {
            refusal = table.insert(lease, limit: settings.maxActive, perOwner: settings.maxActivePerOwner)
        }
        switch refusal {
        case nil: return lease
        case .full: throw SealboxError.tooManyLeases
        case .ownerFull: throw SealboxError.tooManyLeases(perOwner: settings.maxActivePerOwner)
        }
    }

    /// Finds the caller's live lease, or throws: unknown or foreign leases are "not found" alike, so
    /// a stranger learns nothing about other callers' leases. `body` runs under the lease's shard
    /// lock on the stored lease: it must throw before it changes anything, and be short.
    private func withOwnLease<R>(
        _ id: LeaseID,
        _ context: RequestContext,
        _ body: (inout Lease) throws(SealboxError) -> R
    ) throws(SealboxError) -> R {
        let caller = LeaseOwner(context.principal)
        let now = clock.now()
        let result = try table.modify(id) { (lease, remove) throws(SealboxError) -> R in
            guard lease.id.constantTimeEquals(id), lease.owner == caller else {
                throw SealboxError.leaseNotFound
            }
            guard lease.expiresAt > now else {
                remove = true
                throw SealboxError.leaseExpired
            }
            return try body(&lease)
        }
        guard let result else { throw SealboxError.leaseNotFound }
        return result
    }

    /// The id `text` spells; text that is no id is an unknown lease.
    private static func leaseID(_ text: Substring) throws(SealboxError) -> LeaseID {
        guard let id = LeaseID(text) else { throw SealboxError.leaseNotFound }
        return id
    }

    /// Redeems a lease: counts a use, then decrypts the parameter's or the secret's current version.
    /// - Parameters:
    ///   - id: the lease id.
    ///   - context: the caller; must be the owner.
    /// - Returns: the plaintext in guarded memory and its version.
    public func redeem(_ id: String, context: RequestContext) throws(SealboxError) -> LeaseRedemption {
        try redeem(id[...], context: context)
    }

    /// Redeems a lease named by part of a string, such as a request path's segment, without a copy.
    /// - Parameters:
    ///   - id: the lease id.
    ///   - context: the caller; must be the owner.
    /// - Returns: the plaintext in guarded memory and its version.
    public func redeem(_ id: Substring, context: RequestContext) throws(SealboxError) -> LeaseRedemption {
        // Every handler of a function may redeem one lease at once: the use is counted under the
        // shard lock, and the policy is checked after it, outside; a refused redeem gives it back.
        let id = try Self.leaseID(id)
        let (name, scope, target) = try withOwnLease(id, context) {
            (lease) throws(SealboxError) -> (String, Scope, LeaseTarget) in
            guard lease.maxUses == 0 || lease.uses < lease.maxUses else { throw SealboxError.leaseUsedUp }
            lease.uses += 1
            return (lease.name, lease.scope, lease.target)
        }
        do throws(SealboxError) {
            try authorize(context, .redeemLease, [name])
            if case .secret = target { try context.authorize(Self.secretReadAction, [name]) }
        } catch {
            _ = try? table.modify(id) { lease, _ in lease.uses -= 1 }
            throw error
        }
        switch target {
        case .parameter: return try redeemParameter(name, scope, context)
        case .secret(let arn, let versionID, let stage, _):
            return try redeemSecret(name, scope, arn: arn, versionID: versionID, stage: stage, context)
        }
    }

    private func redeemParameter(_ name: String, _ scope: Scope, _ context: RequestContext) throws(SealboxError)
        -> LeaseRedemption
    {
        guard let parameter = ssm.parameter(named: name, in: scope), let current = parameter.versions.last
        else {
            throw SealboxError.noParameter(name)
        }
        do {
            let value = try ssm.plaintext(of: current, named: name, context)
            if current.type == .secureString {
                context.trail?.served(.parameter(name: name, scope: scope, version: current.version))
            }
            return LeaseRedemption(value: value, version: .parameter(current.version))
        } catch {
            throw SealboxError.keyUnavailable
        }
    }

    /// Opens the secret's version as it is now, from the in-memory snapshot: a secret deleted (or
    /// made again under its name), scheduled for deletion, or whose key cannot open it fails as
    /// GetSecretValue does.
    private func redeemSecret(
        _ name: String, _ scope: Scope, arn: String, versionID: String?, stage: String?, _ context: RequestContext
    ) throws(SealboxError) -> LeaseRedemption {
        guard let secrets, let secret = secrets.secrets[Scoped(name, in: scope)], secret.metadata.arn == arn else {
            throw SecretsManager.notFound
        }
        guard secret.metadata.deletionDate == nil else { throw SecretsManager.markedForDeletion }
        let version = try SecretsManager.version(of: secret, versionID: versionID, stage: stage)
        let value = try secrets.open(version, of: secret, context)
        context.trail?.served(.secret(name: name, scope: scope, versionID: version.id))
        return LeaseRedemption(value: value, version: .secret(id: version.id, binary: version.binary))
    }

    /// Extends a lease from now, capped at the maximum TTL.
    public func renew(_ id: String, ttlSeconds: Int?, context: RequestContext) throws(SealboxError) -> Lease {
        let ttl = try ttl(ttlSeconds)
        let now = clock.now()
        return try withOwnLease(Self.leaseID(id[...]), context) { (lease) throws(SealboxError) -> Lease in
            try authorize(context, .renewLease, [lease.name])
            lease.expiresAt = now + Double(ttl)
            return lease
        }
    }

    /// Ends one of the caller's leases.
    public func delete(_ id: String, context: RequestContext) throws(SealboxError) {
        let caller = LeaseOwner(context.principal)
        try table.update(Self.leaseID(id[...])) { (slot) throws(SealboxError) in
            guard let lease = slot, lease.owner == caller else {
                throw SealboxError.leaseNotFound
            }
            slot = nil
        }
    }

    /// Every active lease (admin).
    public func list(context: RequestContext) throws(SealboxError) -> [Lease] {
        try authorize(context, .listLeases, [])
        let now = clock.now()
        return table.all().filter { $0.expiresAt > now }.sorted { $0.created < $1.created }
    }

    /// Ends one lease, whoever owns it (admin).
    /// - Returns: 1 if it existed, else 0.
    public func revoke(id: String, context: RequestContext) throws(SealboxError) -> Int {
        try authorize(context, .revokeLeases, [])
        guard let id = LeaseID(id) else { return 0 }
        return table.removeAll { $0.id == id }
    }

    /// Ends every lease on a parameter or secret whose name is under `prefix` (admin).
    /// - Returns: how many were revoked.
    public func revoke(prefix: String, context: RequestContext) throws(SealboxError) -> Int {
        guard prefix.utf8.count <= ParameterName.maxLength else {
            throw SealboxError.validation("prefix: a parameter name is at most \(ParameterName.maxLength) characters")
        }
        try authorize(context, .revokeLeases, [prefix + "*"])
        let revoked = revokeHere(prefix: prefix)
        // Every host sharing the store revokes its own leases under the prefix too.
        if let shared = ssm.store as? any SharedStore {
            do { try shared.publish(.revokeLeases(prefix: prefix)) } catch {
                throw SealboxError.store(error, otherwise: .internalFailure("The revocation could not be published"))
            }
        }
        return revoked
    }

    /// Ends every lease of this host on a name under `prefix`: a revocation made on another host.
    /// - Parameter prefix: the name prefix.
    /// - Returns: how many were revoked.
    @discardableResult
    package func revokeHere(prefix: String) -> Int {
        table.removeAll { $0.name.hasPrefix(prefix) }
    }

    /// Drops leases that expired at least `grace` seconds ago.
    ///
    /// The periodic sweep passes its interval as the grace, so a lease is never swept before it has been expired for
    /// a whole interval: its first use after expiry answers `LeaseExpired`, as the API promises, not "not found".
    /// - Parameter grace: how long, in seconds, a lease stays after it expires; 0 drops every expired lease.
    /// - Returns: how many were dropped.
    @discardableResult
    public func sweep(expiredFor grace: Double = 0) -> Int {
        let cutoff = clock.now() - grace
        return table.removeAll { $0.expiresAt <= cutoff }
    }

    /// Ends every lease; for `POST /moto-api/reset`.
    public func reset() {
        table.removeAll { _ in true }
    }
}
