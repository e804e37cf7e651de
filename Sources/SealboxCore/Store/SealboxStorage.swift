/// A backend that holds everything the daemon keeps durably: keys, aliases and daemon secrets
/// (``KeyStore``), parameters (``ParameterStore``) and Secrets Manager secrets (``SecretStore``).
/// Every call returns only once its change is durable. A new backend implements this one protocol;
/// the domain sees only its parts.
public protocol SealboxStorage: KeyStore, ParameterStore, SecretStore {
    /// Every daemon secret by name, still wrapped under the root key: for copying a whole store.
    func loadDaemonSecrets() throws -> [String: [UInt8]]
}
