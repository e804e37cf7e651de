import Foundation
import SealboxCrypto

/// The AWS KMS service: keys with versioned material under the root key, aliases, grants, and
/// envelope encryption.
///
/// Reads (Encrypt, Decrypt, GenerateDataKey, Describe, List) use in-memory snapshots of unwrapped
/// material in sharded maps, touch no disk and take no global lock. Changes are serialised by one
/// writer lock, made durable in the ``KeyStore`` first, then published.
public final class KMS: Sendable {
    let store: any KeyStore
    /// Replaced only by a root key rotation, under the writer lock.
    private let root: Locked<SecureBytes>
    var rootKey: SecureBytes { root.withLock { $0 } }
    package let clock: any WallClock
    /// Keys and aliases by account and region: each request sees its own scope's only.
    package let keys = ShardedMap<KeyAddress, LiveKey>()
    package let aliases = ShardedMap<Scoped<String>, AliasRecord>()
    /// The aliases that name each key, for policy checks on alias resources.
    package let aliasesByKey = ShardedMap<KeyAddress, [String]>()
    /// Each key's grants, oldest first: read when the policy refuses a request, without a lock.
    package let grants = ShardedMap<KeyAddress, [GrantRecord]>()
    /// The key of each grant, for RetireGrant by token.
    package let grantKeys = ShardedMap<String, KeyAddress>()
    let writer: WriterLock
    let messageKeys = MessageKeyCache()

    /// Most on-demand rotations AWS allows per key.
    public static let maxOnDemandRotations = 25

    /// Loads every key and alias from `store` and unwraps the key material.
    /// - Parameters:
    ///   - store: durable storage.
    ///   - rootKey: the 32-byte root key that wraps all key material.
    ///   - clock: the time source.
    /// - Throws: if the store cannot be read, or material does not unwrap (a wrong root key).
    public init(store: any KeyStore, rootKey: SecureBytes, clock: any WallClock = SystemClock()) throws {
        guard rootKey.count == Envelope.keyLength else {
            throw CryptoError.invalidKeyLength(expected: Envelope.keyLength, got: rootKey.count)
        }
        self.store = store
        writer = WriterLock(store: store)
        self.root = Locked(rootKey)
        self.clock = clock
        try reload()
        // A store whose keys were all deleted still holds the daemon's secrets: check those too.
        try verifySecrets()
    }

    /// Installs a new root key after the store was re-wrapped under it; the caller holds the writer lock.
    func replaceRootKey(_ key: SecureBytes) {
        root.withLock { $0 = key }
    }

    /// Rebuilds the in-memory state from the store.
    public func reload() throws {
        let storedKeys = try store.loadKeys()
        let storedAliases = try store.loadAliases()
        let storedGrants = try store.loadGrants()
        keys.removeAll()
        aliases.removeAll()
        messageKeys.removeAll()
        grants.removeAll()
        grantKeys.removeAll()
        for key in storedKeys {
            keys[key.record.address] = try live(key, reusing: nil)
        }
        for alias in storedAliases {
            aliases[alias.address] = alias
        }
        rebuildAliasIndex()
        for grant in storedGrants.sorted(by: { ($0.created, $0.id) < ($1.created, $1.id) }) {
            index(grant)
        }
    }

    /// The number of keys, for status reports.
    public var keyCount: Int { keys.values.count }

    func live(_ key: StoredKey, reusing previous: LiveKey?) throws -> LiveKey {
        var material: [UInt32: SecureBytes] = [:]
        for version in key.versions {
            material[version.version] =
                try previous?.material[version.version]
                ?? KeyWrapping.unwrap(
                    version.wrappedMaterial, id: key.record.id, version: version.version, root: rootKey)
        }
        return try LiveKey(record: key.record, versions: key.versions, material: material, reusing: previous)
    }

    // MARK: Resolving references

    /// Finds the key a reference names in the caller's account and region: key id, key ARN,
    /// `alias/name` or alias ARN. Most operations that manage a key take only a key id or key ARN,
    /// as in AWS (`allowAlias: false`).
    package func resolve(_ reference: String, _ context: RequestContext, allowAlias: Bool = true) throws(SealboxError)
        -> LiveKey
    {
        context.trail?.named(reference)
        var name = Substring(reference)
        if name.hasPrefix("arn:") {
            let parts = name.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[1] == "aws", parts[2] == "kms", parts[4] == context.accountID else {
                throw SealboxError.notFound("Invalid arn \(reference)")
            }
            // A key ARN of another region names a key this region does not have.
            guard parts[3] == context.region else { throw SealboxError.notFound("Key '\(reference)' does not exist") }
            name = parts[5]
            if name.hasPrefix("key/") { name = name.dropFirst(4) }
        }
        if name.hasPrefix("alias/") {
            guard allowAlias else {
                throw SealboxError.notFound("Invalid keyId '\(reference)': this operation takes a key ID or key ARN")
            }
            guard let alias = aliases[Scoped(String(name), in: context.scope)], let key = present(alias.target) else {
                throw SealboxError.notFound("Alias \(aliasArn(String(name), context)) is not found.")
            }
            return key
        }
        guard let id = KeyID(name) else { throw SealboxError.notFound("Invalid keyId '\(reference)'") }
        guard let key = present(KeyAddress(id, in: context.scope)) else {
            throw SealboxError.notFound(
                "Key 'arn:aws:kms:\(context.region):\(context.accountID):key/\(id)' does not exist")
        }
        return key
    }

    /// A key that exists and has not passed its deletion date.
    package func present(_ address: KeyAddress) -> LiveKey? {
        guard let key = keys[address] else { return nil }
        if key.record.state == .pendingDeletion, let date = key.record.deletionDate, date <= clock.now() {
            return nil
        }
        return key
    }

    package func aliasArn(_ name: String, _ context: RequestContext) -> String {
        "arn:aws:kms:\(context.region):\(context.accountID):\(name)"
    }

    /// Fails unless the key may be used for cryptographic operations.
    package func requireUsable(_ key: LiveKey, _ context: RequestContext) throws(SealboxError) {
        switch state(of: key) {
        case .enabled: return
        case .disabled: throw SealboxError.disabled("\(key.arn(context)) is disabled.")
        case .pendingDeletion, .pendingReplicaDeletion:
            throw SealboxError.invalidState("\(key.arn(context)) is pending deletion.")
        case .pendingImport: throw SealboxError.invalidState("\(key.arn(context)) is pending import.")
        }
    }

    /// The key's state as callers see it: an imported key whose material has expired is
    /// `PendingImport` from that second on, before the maintenance sweep deletes the material.
    package func state(of key: LiveKey) -> KeyState {
        let record = key.record
        if record.origin == .external, record.state == .enabled || record.state == .disabled,
            key.versions.isEmpty || (record.validTo.map { $0 <= clock.now() } ?? false)
        {
            return .pendingImport
        }
        return record.state
    }

    /// Fails unless the key was made for `usage`, as AWS refuses Encrypt with an HMAC key.
    /// - Parameters:
    ///   - key: the key.
    ///   - usage: what the operation needs.
    ///   - operation: the operation's name, for the message.
    ///   - context: the caller.
    package func requireUsage(_ key: LiveKey, _ usage: KeyUsage, _ operation: String, _ context: RequestContext)
        throws(SealboxError)
    {
        if key.record.usage != usage {
            throw SealboxError.invalidKeyUsage(
                "\(key.arn(context)) key usage is \(key.record.usage.rawValue) which is not valid for \(operation).")
        }
    }

    /// Fails unless the key is a symmetric encryption key: envelope operations need one.
    package func requireSymmetric(_ key: LiveKey, _ operation: String, _ context: RequestContext)
        throws(SealboxError)
    {
        try requireUsage(key, .encryptDecrypt, operation, context)
        if key.record.spec != .symmetricDefault {
            throw SealboxError.invalidKeyUsage(
                "\(key.arn(context)) key spec is \(key.record.spec.rawValue) which is not valid for \(operation).")
        }
    }

    package func requireNotPendingDeletion(_ key: LiveKey, _ context: RequestContext) throws(SealboxError) {
        if key.record.state.isPendingDeletion {
            throw SealboxError.invalidState("\(key.arn(context)) is pending deletion.")
        }
    }

    // MARK: Writing

    /// Applies `change` to the key `reference` names, stores the result durably, then publishes it.
    @discardableResult
    package func mutate(
        _ reference: String,
        _ context: RequestContext,
        _ change: (inout StoredKey, LiveKey) throws(SealboxError) -> Void
    ) throws(SealboxError) -> LiveKey {
        try writer.withLock { () throws(SealboxError) -> LiveKey in
            let current = try resolve(reference, context, allowAlias: false)
            try authorize(current, context)
            var stored = current.stored
            try change(&stored, current)
            return try publish(stored, previous: current)
        }
    }

    /// Stores and publishes a key, with its related multi-Region keys brought in step and any new
    /// ones in `adding`, in one transaction; the caller holds the writer lock.
    func publish(_ stored: StoredKey, previous: LiveKey?, adding new: [StoredKey] = []) throws(SealboxError)
        -> LiveKey
    {
        var batch: [(stored: StoredKey, previous: LiveKey?)] = [(stored, previous)]
        for related in relatedKeys(of: stored.record) {
            var copy = related.stored
            Self.share(stored, into: &copy)
            batch.append((copy, related))
        }
        batch += new.map { ($0, nil) }
        do {
            let next = try batch.map { try live($0.stored, reusing: $0.previous) }
            try store.saveKeys(batch.map(\.stored))
            for key in next { keys[key.address] = key }
            return next[0]
        } catch {
            throw SealboxError.store(error, otherwise: .keyServiceFailure("The key could not be stored"))
        }
    }

    package func withWriter<R>(_ body: () throws(SealboxError) -> R) throws(SealboxError) -> R {
        try writer.withLock { () throws(SealboxError) -> R in try body() }
    }

    package func storeAlias(_ alias: AliasRecord) throws(SealboxError) {
        do { try store.saveAlias(alias) } catch {
            throw SealboxError.store(error, otherwise: .keyServiceFailure("The alias could not be stored"))
        }
        aliases[alias.address] = alias
        rebuildAliasIndex()
    }

    package func removeAlias(_ address: Scoped<String>) throws(SealboxError) {
        do { try store.deleteAlias(address) } catch {
            throw SealboxError.store(error, otherwise: .keyServiceFailure("The alias could not be deleted"))
        }
        aliases[address] = nil
        rebuildAliasIndex()
    }

    /// Alias changes are rare and serialised by the writer; rebuild the reverse index wholesale.
    func rebuildAliasIndex() {
        let grouped = Dictionary(grouping: aliases.values, by: \.target)
        aliasesByKey.removeAll()
        for (id, list) in grouped { aliasesByKey[id] = list.map(\.name).sorted() }
    }

    /// Refuses unless the policy grants this request's action on the key, named by id, ARN or any
    /// of its aliases, or a KMS grant on the key allows it: one whose grantee stands for the caller
    /// (the config's `aws.principals`), that lists the operation and whose constraint the request's
    /// encryption context passes.
    /// - Parameters:
    ///   - key: the key.
    ///   - context: the caller and its action.
    ///   - operation: the grant operation to look for; by default the action's own (`kms:Sign` is
    ///     `Sign`), so that every operation is covered without a table. ReEncrypt names its two.
    ///   - encryptionContext: the request's encryption context, for grant constraints; an operation
    ///     that takes one and passes none meets only unconstrained grants.
    /// - Returns: the key's ARN, built once here: an ARN is a fresh string each time, and Decrypt
    ///   answers with the one it authorized.
    @discardableResult
    package func authorize(
        _ key: LiveKey,
        _ context: RequestContext,
        as operation: GrantOperation? = nil,
        encryptionContext: [String: String]? = nil
    ) throws(SealboxError) -> String {
        let arn = key.arn(context)
        if policyAllows(key, arn, context) {
            context.trail?.add(arn)
            return arn
        }
        // CreateGrant and RetireGrant weigh grants by rules of their own.
        let operation = operation ?? GrantOperation(action: context.action)
        if let operation, operation != .createGrant, operation != .retireGrant,
            let grant = grant(allowing: operation, on: key.address, context, encryptionContext: encryptionContext)
        {
            context.trail?.add(arn)
            context.trail?.add("grant:\(grant.id)")
            return arn
        }
        try context.authorize([arn])
        return arn
    }

    /// Whether the policy alone grants the request's action on the key, by any of its names (a rule
    /// on any of them covers the key).
    package func policyAllows(_ key: LiveKey, _ arn: String, _ context: RequestContext) -> Bool {
        guard context.authorization.policy != nil else { return true }
        let names = [key.idText, arn] + (aliasesByKey[key.address] ?? [])
        return names.contains { context.authorization.allows(context.action.name, [$0]) }
    }

    // MARK: Crypto operations used by other services

    /// Seals `plaintext` under the current version of the key `reference` names.
    /// - Parameters:
    ///   - plaintext: the bytes.
    ///   - reference: key id, ARN or alias.
    ///   - encryptionContext: bound to the ciphertext.
    ///   - context: the caller.
    /// - Returns: the ciphertext and the key's ARN.
    public func encrypt(
        _ plaintext: SecureBytes,
        keyReference reference: String,
        encryptionContext: EncryptionContext,
        context: RequestContext
    ) throws(SealboxError) -> (ciphertext: [UInt8], keyArn: String, materialID: String) {
        let key = try resolve(reference, context)
        try requireUsable(key, context)
        try requireSymmetric(key, "Encrypt", context)
        guard let material = key.material[key.currentVersion] else {
            throw SealboxError.invalidState("\(key.arn(context)) is pending import.")
        }
        do {
            let token = try Envelope.seal(
                plaintext, key: material, keyID: key.id, keyVersion: key.currentVersion,
                context: encryptionContext, timestamp: UInt64(clock.now()))
            return (token, key.arn(context), key.materialID(key.currentVersion))
        } catch {
            throw SealboxError.keyServiceFailure("Encryption failed")
        }
    }

    /// The key a ciphertext names (through the wrapped data key for v2 tokens), if it exists in `scope`.
    package func ciphertextKey(_ ciphertext: [UInt8], in scope: Scope) -> LiveKey? {
        ciphertextKeyID(ciphertext).flatMap { present(KeyAddress($0, in: scope)) }
    }

    private func ciphertextKeyID(_ ciphertext: [UInt8]) -> KeyID? {
        var token = ciphertext
        if token.first == DataKeyEnvelope.version {
            guard let wrapped = try? DataKeyEnvelope.wrappedKey(of: token) else { return nil }
            token = wrapped
        }
        return (try? Envelope.keyReference(of: token))?.keyID
    }

    /// Authorizes the key a ciphertext names, before anything else is said about the ciphertext.
    ///
    /// A key that does not exist is authorized by the ARN it would have, so a caller the policy
    /// refuses gets the same AccessDenied for a key id that exists and for one that does not:
    /// Decrypt tells no one which key ids exist. Only a caller granted the id learns more.
    /// - Parameters:
    ///   - ciphertext: the blob.
    ///   - context: the caller and its action.
    /// - Returns: the key and its ARN when the key exists; nil when the blob names no key or a
    ///   missing one the caller may use (opening it then fails as invalid ciphertext).
    ///   - operation: the grant operation, as for ``authorize(_:_:as:encryptionContext:)``.
    ///   - encryptionContext: the request's encryption context, for grant constraints.
    package func authorizeCiphertextKey(
        _ ciphertext: [UInt8],
        _ context: RequestContext,
        as operation: GrantOperation? = nil,
        encryptionContext: [String: String]? = nil
    ) throws(SealboxError) -> (key: LiveKey, arn: String)? {
        guard let id = ciphertextKeyID(ciphertext) else { return nil }
        if let key = present(KeyAddress(id, in: context.scope)) {
            return (key, try authorize(key, context, as: operation, encryptionContext: encryptionContext))
        }
        guard context.authorization.policy != nil else { return nil }
        let idText = id.description
        let arn = context.arn("kms", "key/", idText)
        if context.authorization.allows(context.action.name, [idText]) { return nil }
        try context.authorize([arn])
        return nil
    }

    /// Seals a value under a fresh data key wrapped by the key `reference` names (an envelope v2
    /// token), so a key rotation can re-wrap the data key without touching the value. KMS Decrypt
    /// opens it like any other ciphertext.
    /// - Parameters:
    ///   - plaintext: the value.
    ///   - reference: key id, ARN or alias.
    ///   - encryptionContext: bound to both the wrapped data key and the value.
    ///   - context: the caller.
    public func sealValue(
        _ plaintext: SecureBytes,
        keyReference reference: String,
        encryptionContext: EncryptionContext,
        context: RequestContext
    ) throws(SealboxError) -> (ciphertext: [UInt8], keyArn: String) {
        let dataKey = SecureBytes.random(count: DataKeyEnvelope.dataKeyLength)
        let (wrapped, arn, _) = try encrypt(
            dataKey, keyReference: reference, encryptionContext: encryptionContext, context: context)
        do {
            let token = try DataKeyEnvelope.seal(
                plaintext, dataKey: dataKey, wrappedKey: wrapped, context: encryptionContext)
            return (token, arn)
        } catch {
            throw SealboxError.keyServiceFailure("Encryption failed")
        }
    }

    /// Creates, on first use in a scope, the AWS-managed key behind a reserved alias such as
    /// `alias/aws/ssm`: each account and region has its own, as in AWS.
    /// - Parameters:
    ///   - alias: the reserved alias.
    ///   - scope: the account and region.
    ///   - description: the key's description.
    ///   - manager: who manages it: AWS for `alias/aws/...`; the customer for Sealbox's own defaults,
    ///     which admins rotate.
    public func ensureManagedKey(
        alias: String, in scope: Scope, description: String, manager: KeyManager = .aws
    ) throws(SealboxError) {
        let address = Scoped(alias, in: scope)
        guard aliases[address] == nil else { return }
        try withWriter { () throws(SealboxError) in
            guard aliases[address] == nil else { return }
            let now = clock.now()
            let record = KeyRecord(
                id: .random(), scope: scope, created: now, description: description, manager: manager,
                policy: KMS.managedPolicy, tags: [])
            let version = try newVersion(for: record.id, number: 1, type: .created, spec: record.spec)
            _ = try publish(StoredKey(record: record, versions: [version]), previous: nil)
            try storeAlias(AliasRecord(name: alias, scope: scope, keyID: record.id, created: now, updated: now))
        }
    }

    static let managedPolicy = """
        {"Version":"2012-10-17","Id":"auto-ssm","Statement":[{"Sid":"Allow access through Systems Manager",\
        "Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*",\
        "kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}]}
        """

    /// Opens a ciphertext made by ``encrypt(_:keyReference:encryptionContext:context:)``.
    /// - Parameters:
    ///   - ciphertext: the blob.
    ///   - encryptionContext: must equal the one it was sealed with.
    ///   - expectedKey: if given, the ciphertext's key must be this one (`IncorrectKeyException`).
    ///   - context: the caller.
    /// - Returns: the plaintext in guarded memory and the key's ARN.
    public func decrypt(
        _ ciphertext: [UInt8],
        encryptionContext: EncryptionContext,
        expectedKey: String?,
        context: RequestContext
    ) throws(SealboxError) -> (plaintext: SecureBytes, keyArn: String, materialID: String) {
        let (plaintext, key, version) = try open(
            ciphertext, encryptionContext: encryptionContext, expectedKey: expectedKey, context: context)
        return (plaintext, key.arn(context), key.materialID(version))
    }

    /// Opens a v1 or v2 token; the caller names the key in its answer only if it needs to.
    /// - Parameter found: the key the caller already looked up for this ciphertext (to authorize it), so that it is
    ///   not looked up twice; the token's own key reference still decides which key opens it.
    package func open(
        _ ciphertext: [UInt8],
        encryptionContext: EncryptionContext,
        expectedKey: String?,
        found: LiveKey? = nil,
        context: RequestContext
    ) throws(SealboxError) -> (plaintext: SecureBytes, key: LiveKey, version: UInt32) {
        guard ciphertext.first == DataKeyEnvelope.version else {
            let (key, version, material) = try usableMaterial(
                for: ciphertext, expectedKey: expectedKey, found: found, context: context)
            // A handler decrypts the same blob at every start, so its message key is remembered too.
            let messageKey = try messageKeys.messageKey(
                of: ciphertext, keyedLength: Envelope.headerLength, context: encryptionContext
            ) { () throws(SealboxError) -> SecureBytes in
                guard
                    let messageKey = try? Envelope.messageKey(of: ciphertext, key: material, context: encryptionContext)
                else { throw SealboxError.invalidCiphertext }
                return messageKey
            }
            guard let plaintext = try? Envelope.open(ciphertext, messageKey: messageKey) else {
                throw SealboxError.invalidCiphertext
            }
            return (plaintext, key, version)
        }
        // A value under its own data key, which is wrapped as a v1 token after the first three bytes.
        guard let keyedLength = try? DataKeyEnvelope.keyedLength(of: ciphertext) else {
            throw SealboxError.invalidCiphertext
        }
        let wrapped = ciphertext[3..<(keyedLength - Envelope.nonceLength)]
        let (key, version, material) = try usableMaterial(
            for: wrapped, expectedKey: expectedKey, found: found, context: context)
        let messageKey = try messageKeys.messageKey(
            of: ciphertext, keyedLength: keyedLength, context: encryptionContext
        ) { () throws(SealboxError) -> SecureBytes in
            guard let dataKey = try? Envelope.open(wrapped, key: material, context: encryptionContext),
                let messageKey = try? DataKeyEnvelope.messageKey(
                    of: ciphertext, dataKey: dataKey, context: encryptionContext)
            else {
                throw SealboxError.invalidCiphertext
            }
            return messageKey
        }
        guard let plaintext = try? DataKeyEnvelope.open(ciphertext, messageKey: messageKey) else {
            throw SealboxError.invalidCiphertext
        }
        return (plaintext, key, version)
    }

    /// The key and material that open a v1 token, once the key's state allows it: present, usable,
    /// the expected one if the caller named one, and the version not retired.
    private func usableMaterial(
        for token: some SealboxCrypto.ContiguousBytes, expectedKey: String?, found: LiveKey?, context: RequestContext
    ) throws(SealboxError) -> (key: LiveKey, version: UInt32, material: SecureBytes) {
        guard let header = try? Envelope.keyReference(of: token) else { throw SealboxError.invalidCiphertext }
        if let expectedKey {
            let named = try resolve(expectedKey, context)
            try requireSymmetric(named, "Decrypt", context)
            guard named.id == header.keyID else {
                throw SealboxError.incorrectKey(
                    "The key ID in the request does not identify a KMS key that can perform this operation.")
            }
        }
        let key: LiveKey
        if let found, found.id == header.keyID {
            key = found
        } else {
            guard let present = present(KeyAddress(header.keyID, in: context.scope)) else {
                throw SealboxError.invalidCiphertext
            }
            key = present
        }
        try requireUsable(key, context)
        try requireSymmetric(key, "Decrypt", context)
        if let floor = key.record.minDecryptionVersion, header.keyVersion < floor {
            throw SealboxError.invalidState(
                "Version \(header.keyVersion) of \(key.arn(context)) is retired: versions below \(floor) no longer decrypt."
            )
        }
        guard let material = key.material[header.keyVersion] else { throw SealboxError.invalidCiphertext }
        return (key, header.keyVersion, material)
    }
}
