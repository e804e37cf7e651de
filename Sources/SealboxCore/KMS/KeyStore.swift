import SealboxCrypto

/// Durable storage for KMS keys, aliases and grants.
///
/// Every method is synchronous and returns only once the change is durable. Callers run writes off
/// the event loops.
public protocol KeyStore: Sendable {
    /// Every key with its versions.
    func loadKeys() throws -> [StoredKey]
    /// One key with its versions; nil if it is not stored.
    /// - Parameter address: the key in its account and region.
    func loadKey(_ address: KeyAddress) throws -> StoredKey?
    /// Every alias.
    func loadAliases() throws -> [AliasRecord]
    /// Inserts or replaces each key's metadata, inserts any versions not yet stored and deletes those
    /// the key no longer has, all in one transaction: related multi-Region keys change together.
    /// - Parameter keys: the keys.
    func saveKeys(_ keys: [StoredKey]) throws
    /// Removes a key, its versions, the aliases that name it and its grants, atomically.
    /// - Parameter address: the key in its account and region.
    func deleteKey(_ address: KeyAddress) throws
    /// Inserts or replaces an alias.
    /// - Parameter alias: the alias.
    func saveAlias(_ alias: AliasRecord) throws
    /// Removes an alias.
    /// - Parameter address: the full alias name in its account and region.
    func deleteAlias(_ address: Scoped<String>) throws
    /// Every grant.
    func loadGrants() throws -> [GrantRecord]
    /// Inserts a grant; its key must be stored.
    /// - Parameter grant: the grant.
    func saveGrant(_ grant: GrantRecord) throws
    /// Removes a grant; a grant that is not stored is no error.
    /// - Parameter id: the grant id.
    func deleteGrant(_ id: String) throws
    /// A daemon secret (such as the audit MAC key), wrapped under the root key; nil if never saved.
    /// - Parameter name: the secret's name.
    func loadSecret(_ name: String) throws -> [UInt8]?
    /// Saves a daemon secret, wrapped under the root key.
    /// - Parameters:
    ///   - name: the secret's name.
    ///   - wrapped: the wrapped bytes.
    func saveSecret(_ name: String, _ wrapped: [UInt8]) throws
    /// Replaces the wrapping of every key version and every daemon secret in one transaction: the
    /// store's half of a root key rotation.
    /// - Parameters:
    ///   - versions: each key version's material wrapped under the new root key.
    ///   - secrets: each daemon secret wrapped under the new root key.
    func rewrapUnderNewRoot(
        versions: [(key: KeyAddress, version: UInt32, wrapped: [UInt8])], secrets: [String: [UInt8]]
    ) throws
}

extension KeyStore {
    /// Saves one key, as ``saveKeys(_:)`` does.
    /// - Parameter key: the key.
    public func saveKey(_ key: StoredKey) throws { try saveKeys([key]) }
}
