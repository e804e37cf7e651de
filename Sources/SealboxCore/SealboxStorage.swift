/// A backend that holds everything the daemon keeps durably: keys, aliases and daemon secrets
/// (``KeyStore``) and parameters (``ParameterStore``). Every call returns only once its change is
/// durable. A new backend implements this one protocol; the domain sees only the two halves.
public protocol SealboxStorage: KeyStore, ParameterStore {}
