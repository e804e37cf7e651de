/// Durable storage for Secrets Manager secrets. Every call returns only once the change is durable.
public protocol SecretStore: Sendable {
    /// Every secret with its versions.
    func loadSecrets() throws -> [StoredSecret]
    /// Applies one change atomically.
    /// - Parameter change: the change.
    func apply(_ change: SecretChange) throws
}
