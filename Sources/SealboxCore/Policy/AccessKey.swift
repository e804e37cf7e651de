import SealboxCrypto

/// An access key the daemon accepts on TCP, with its secret in guarded memory.
public struct AccessKey: Sendable {
    public var id: String
    public var secret: SecureBytes
    /// Who requests signed with it act as.
    public var principal: String
    /// The account its requests act in: their keys, aliases and ARNs; nil for the daemon's own.
    public var account: String?

    /// - Parameters:
    ///   - id: the access key id.
    ///   - secret: the secret access key.
    ///   - principal: the policy principal it maps to.
    ///   - account: the account its requests act in; nil for the daemon's `--account-id`.
    public init(id: String, secret: SecureBytes, principal: String, account: String? = nil) {
        self.id = id
        self.secret = secret
        self.principal = principal
        self.account = account
    }
}
