import SealboxCrypto

/// Durable storage for KMS keys and aliases.
///
/// Every method is synchronous and returns only once the change is durable. Callers run writes off
/// the event loops. The SQLite store implements it; a PostgreSQL store could.
public protocol KeyStore: Sendable {
    /// Every key with its versions.
    func loadKeys() throws -> [StoredKey]
    /// Every alias.
    func loadAliases() throws -> [AliasRecord]
    /// Inserts or replaces a key's metadata and inserts any versions not yet stored, atomically.
    /// - Parameter key: the key.
    func saveKey(_ key: StoredKey) throws
    /// Removes a key, its versions and the aliases that name it, atomically.
    /// - Parameter id: the key.
    func deleteKey(_ id: KeyID) throws
    /// Inserts or replaces an alias.
    /// - Parameter alias: the alias.
    func saveAlias(_ alias: AliasRecord) throws
    /// Removes an alias.
    /// - Parameter name: the full alias name.
    func deleteAlias(_ name: String) throws
}
