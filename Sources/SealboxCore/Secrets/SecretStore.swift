/// Durable storage for Secrets Manager secrets. Every call returns only once the change is durable.
public protocol SecretStore: Sendable {
    /// Every secret with its versions.
    func loadSecrets() throws -> [StoredSecret]
    /// One secret with its versions; nil if it is not stored.
    /// - Parameter address: the secret's name in its account and region.
    func loadSecret(at address: Scoped<String>) throws -> StoredSecret?
    /// Applies changes together, atomically: a primary secret and its replicas move as one.
    /// - Parameter changes: the changes, in order.
    func apply(_ changes: [SecretChange]) throws
}
