/// Durable storage for Secrets Manager secrets. Every call returns only once the change is durable.
public protocol SecretStore: Sendable {
    /// Every secret with its versions.
    func loadSecrets() throws -> [StoredSecret]
    /// Applies changes together, atomically: a primary secret and its replicas move as one.
    /// - Parameter changes: the changes, in order.
    func apply(_ changes: [SecretChange]) throws
}
