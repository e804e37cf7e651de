import SealboxCrypto

/// The AWS SSM Parameter Store service: String, StringList and SecureString parameters with up to
/// 100 versions, labels and tags. SecureString values are sealed under a fresh data key per
/// version, wrapped by a KMS key (default `alias/aws/ssm`).
///
/// Parameters belong to an account and a region, as keys do: a name put in us-east-1 is not found
/// from eu-west-1. Public parameters (`/aws/service/...`) belong to a region and no account.
///
/// Reads use in-memory snapshots in sharded maps plus a sorted name index per scope for path
/// queries; they touch no disk and take no global lock on the GetParameter path. Writes are
/// serialised by one writer lock, made durable in the ``ParameterStore``, then published.
public final class SSM: Sendable {
    let store: any ParameterStore
    package let kms: KMS
    package let clock: any WallClock
    package let parameters = ShardedMap<ParameterAddress, StoredParameter>()
    /// Every name of each scope, sorted; an array is replaced (never mutated in place) under the lock.
    private let index = Locked<[Scope: [String]]>([:])
    /// Service settings changed from their defaults, by account and region; read by every put.
    let serviceSettings = Locked<[Scoped<String>: ServiceSettingRecord]>([:])
    private let writer: WriterLock
    /// The parameters whose newest version has policies: all the policy scheduler looks at.
    let policyNames = Locked<Set<ParameterAddress>>([])
    /// The parameters with resource policies: all that DescribeParameters' `Shared` looks at.
    let sharedAddresses = Locked<Set<ParameterAddress>>([])
    /// Secrets Manager, which `/aws/reference/secretsmanager/` names read through; set once at start.
    private let referencedSecrets = Locked<SecretsManager?>(nil)
    /// Yields when a policy may act earlier than the scheduler planned: a put, a policy acting.
    package let policyChanges: AsyncStream<Void>
    private let policyChangesContinuation: AsyncStream<Void>.Continuation

    /// Versions kept per parameter.
    public static let maxVersions = 100
    /// Labels per version.
    public static let maxLabelsPerVersion = 10
    /// The key SecureStrings use when the writer names none.
    public static let defaultKeyAlias = "alias/aws/ssm"

    /// Loads every parameter from `store`.
    /// - Parameters:
    ///   - store: durable storage.
    ///   - kms: the KMS service that seals SecureString values.
    ///   - clock: the time source.
    public init(store: any ParameterStore, kms: KMS, clock: any WallClock = SystemClock()) throws {
        self.store = store
        writer = WriterLock(store: store)
        self.kms = kms
        self.clock = clock
        (policyChanges, policyChangesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        try reload()
    }

    /// Rebuilds the in-memory state from the store.
    public func reload() throws {
        var names: [Scope: [String]] = [:]
        var withPolicies = Set<ParameterAddress>()
        var shared = Set<ParameterAddress>()
        try parameters.replaceAll { reserve, add in
            try store.loadParameters(reserve: reserve) { parameter in
                names[parameter.scope, default: []].append(parameter.name)
                if parameter.versions.last?.policies.isEmpty == false { withPolicies.insert(parameter.address) }
                if !parameter.resourcePolicies.isEmpty { shared.insert(parameter.address) }
                add(parameter.address, parameter)
            }
        }
        policyNames.withLock { $0 = withPolicies }
        sharedAddresses.withLock { $0 = shared }
        policyChangesContinuation.yield()
        // The store gives names in byte order; sorting a sorted array is one linear pass.
        index.withLock { $0 = names.mapValues { $0.sorted() } }
        let settings = try store.loadServiceSettings()
        serviceSettings.withLock { $0 = Dictionary(settings.map { ($0.address, $0) }, uniquingKeysWith: { $1 }) }
    }

    /// The parameter a name stands for in a scope: its own, else, for a one-level name, the one
    /// under its other spelling (`db` and `/db` share one ARN, so they are one parameter).
    /// - Parameters:
    ///   - name: the name as given.
    ///   - scope: the account and region it belongs to.
    package func parameter(named name: String, in scope: Scope) -> StoredParameter? {
        guard
            let found = parameters[ParameterAddress(name, in: scope)]
                ?? ParameterName.otherSpelling(name).flatMap({ parameters[ParameterAddress($0, in: scope)] })
        else {
            return nil
        }
        // Gone at its expiration to the millisecond, whenever the scheduler runs.
        if let latest = found.versions.last, !latest.policies.isEmpty, let expiry = latest.expiration,
            expiry <= clock.now()
        {
            return nil
        }
        return found
    }

    /// The parameter a name stands for, for a caller: in its account and region, or for a public
    /// name in its region.
    /// - Parameters:
    ///   - name: the name as given.
    ///   - context: the caller.
    package func parameter(named name: String, _ context: RequestContext) -> StoredParameter? {
        parameter(named: name, in: ParameterName.scope(of: name, context))
    }

    /// The parameter a reference names for a caller: an ARN of another account or region names none.
    /// - Parameters:
    ///   - reference: a parsed name or ARN.
    ///   - context: the caller.
    package func parameter(_ reference: ParameterName.Reference, _ context: RequestContext) -> StoredParameter? {
        guard reference.elsewhere else { return parameter(named: reference.name, context) }
        // Another account's parameter, by its full ARN: found when a resource policy shares it.
        return reference.arnScope.flatMap { shared(reference.name, owner: $0, context) }
    }

    /// Lets GetParameter(s) read Secrets Manager secrets as `/aws/reference/secretsmanager/<id>`.
    /// - Parameter secrets: the Secrets Manager service.
    public func serveSecretReferences(from secrets: SecretsManager) {
        referencedSecrets.withLock { $0 = secrets }
    }

    /// The Secrets Manager that reference names read, if any; asked only for such names.
    package var secretsForReferences: SecretsManager? { referencedSecrets.withLock { $0 } }

    /// Wakes the policy scheduler to look again for the next due policy.
    package func wakePolicyScheduler() { policyChangesContinuation.yield() }

    /// The number of parameters in every scope, for status reports.
    public var parameterCount: Int { index.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Every name of one scope, sorted.
    /// - Parameter scope: the account and region.
    package func sortedNames(in scope: Scope) -> [String] { index.withLock { $0[scope] ?? [] } }

    /// Every parameter's address, by scope and then name.
    package func allAddresses() -> [ParameterAddress] {
        let index = index.withLock { $0 }
        return index.keys.sorted { ($0.account, $0.region) < ($1.account, $1.region) }.flatMap { scope in
            index[scope]!.map { ParameterAddress($0, in: scope) }
        }
    }

    /// The sorted names of one scope that start with `prefix` (and sort after `after`), found by
    /// binary search and read lazily, so a caller that stops early pays only for what it reads.
    package func sortedNames(in scope: Scope, withPrefix prefix: String, after: String? = nil)
        -> LazyPrefixWhileSequence<ArraySlice<String>>
    {
        let names = sortedNames(in: scope)
        var start = Self.insertionPoint(of: prefix, in: names)
        if let after, after >= prefix {
            start = Self.insertionPoint(of: after, in: names)
            if start < names.count, names[start] == after { start += 1 }
        }
        return names[start...].lazy.prefix { $0.hasPrefix(prefix) }
    }

    /// The first index whose name is not less than `name`.
    private static func insertionPoint(of name: String, in names: [String]) -> Int {
        var low = 0
        var high = names.count
        while low < high {
            let middle = (low + high) / 2
            if names[middle] < name { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Applies a change durably, then publishes it. The caller holds the writer lock.
    package func commit(_ change: ParameterChange) throws(SealboxError) {
        try commit([change])
    }

    /// Applies changes durably as one transaction, then publishes them. The caller holds the writer lock.
    package func commit(_ changes: [ParameterChange]) throws(SealboxError) {
        do {
            try store.apply(changes)
        } catch {
            throw SealboxError.store(error, otherwise: .internalFailure("The parameter store could not be written"))
        }
        publish(changes)
    }

    /// Makes committed changes what reads see: the map, the name index and the policy sets. The
    /// caller holds the writer lock.
    func publish(_ changes: [ParameterChange]) {
        var added: [Scope: [String]] = [:]
        var deleted: [Scope: [String]] = [:]
        var policiesMoved = false
        for change in changes {
            if let parameter = change.parameter {
                let address = parameter.address
                if parameters[address] == nil { added[address.scope, default: []].append(address.name) }
                parameters[address] = parameter
                if parameter.versions.last?.policies.isEmpty == false {
                    policyNames.withLock { _ = $0.insert(address) }
                    policiesMoved = true
                } else if policyNames.withLock({ $0.remove(address) != nil }) {
                    policiesMoved = true
                }
                if !parameter.resourcePolicies.isEmpty {
                    sharedAddresses.withLock { _ = $0.insert(address) }
                } else {
                    sharedAddresses.withLock { _ = $0.remove(address) }
                }
            }
            for address in change.deleted {
                parameters[address] = nil
                deleted[address.scope, default: []].append(address.name)
            }
            if !change.deleted.isEmpty {
                policyNames.withLock { $0.subtract(change.deleted) }
                sharedAddresses.withLock { $0.subtract(change.deleted) }
            }
        }
        if policiesMoved { policyChangesContinuation.yield() }
        guard !added.isEmpty || !deleted.isEmpty else { return }
        index.withLock { index in
            for scope in Set(added.keys).union(deleted.keys) {
                let (added, deleted) = (added[scope] ?? [], deleted[scope] ?? [])
                var names = index[scope] ?? []
                // One insert or removal moves the tail of the array; a batch (fixtures, reset) rebuilds it once.
                if added.count + deleted.count > 16 {
                    let gone = Set(deleted)
                    names = (names.filter { !gone.contains($0) } + added).sorted()
                } else {
                    for name in added { names.insert(name, at: Self.insertionPoint(of: name, in: names)) }
                    for name in deleted {
                        let position = Self.insertionPoint(of: name, in: names)
                        if position < names.count, names[position] == name { names.remove(at: position) }
                    }
                }
                index[scope] = names.isEmpty ? nil : names
            }
        }
    }

    package func withWriter<R, Failure: Error>(_ body: () throws(Failure) -> R) throws(Failure) -> R {
        try writer.withLock(body)
    }

    /// Deletes every parameter and puts every service setting back to its default; for
    /// `POST /moto-api/reset` on an ephemeral daemon.
    public func reset() throws {
        try withWriter { () throws(SealboxError) in
            try commit(ParameterChange(parameter: nil, writtenVersions: [], deleted: allAddresses()))
        }
        try withWriter {
            for address in serviceSettings.withLock({ Array($0.keys) }) { try store.deleteServiceSetting(address) }
            serviceSettings.withLock { $0 = [:] }
        }
    }

    /// The plaintext of a version: the text itself, or the SecureString opened through KMS.
    /// - Parameters:
    ///   - version: the version.
    ///   - name: the name of its parameter, which its encryption context names.
    ///   - arn: the parameter's ARN, when the caller has it: the context is then not built again.
    ///   - context: the caller.
    package func plaintext(
        of version: ParameterVersionRecord, named name: String, arn: String? = nil, _ context: RequestContext
    ) throws(SealboxError) -> SecureBytes {
        guard version.type == .secureString else { return SecureBytes(copying: version.value) }
        guard let contextArn = version.contextArn(name: name, candidate: arn) else {
            throw SealboxError.invalidKeyId(
                "The SecureString's KMS key cannot decrypt it: its stored binding is not this parameter's")
        }
        // A value opens under the key of the scope it was sealed in: a parameter kept from before
        // parameters had scopes may have been sealed in another region than the one it now lives in.
        var opening = context
        if let sealed = version.sealedIn, sealed.region != context.region || sealed.account != context.accountID {
            opening = context.within(Scope(account: sealed.account, region: sealed.region))
        }
        do {
            return try kms.open(
                version.value,
                encryptionContext: .parameter(arn: contextArn),
                expectedKey: nil, context: opening
            ).plaintext
        } catch {
            throw SealboxError.invalidKeyId("The SecureString's KMS key cannot decrypt it: \(error.message)")
        }
    }
}

/// A parameter's name in its account and region.
public typealias ParameterAddress = Scoped<String>

extension EncryptionContext {
    /// The context a SecureString value is sealed with: its parameter's ARN, as AWS binds it.
    /// - Parameter arn: the parameter ARN.
    package static func parameter(arn: String) -> EncryptionContext {
        EncryptionContext(key: "PARAMETER_ARN", value: arn)
    }
}
