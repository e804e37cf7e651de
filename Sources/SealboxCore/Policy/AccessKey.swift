import SealboxCrypto

/// An access key the daemon accepts on TCP, with its secret in guarded memory.
public struct AccessKey: Sendable {
    public var id: String
    public var secret: SecureBytes
    /// Who requests signed with it act as.
    public var principal: String

    /// - Parameters:
    ///   - id: the access key id.
    ///   - secret: the secret access key.
    ///   - principal: the policy principal it maps to.
    public init(id: String, secret: SecureBytes, principal: String) {
        self.id = id
        self.secret = secret
        self.principal = principal
    }
}
