/// The body of `POST /v1/env/encrypt`, `/v1/env/decrypt` and `/v1/env/rewrap`. Encrypt needs `name`
/// and `value`; decrypt and rewrap need `name` and `token`; the daemon answers 400 otherwise.
public struct EnvRequest: Codable, Sendable, Equatable {
    /// The variable's name, which the token is bound to.
    public var name: String?
    /// The plaintext (encrypt only).
    public var value: String?
    /// The token (decrypt and rewrap).
    public var token: String?
    /// The KMS key: for encrypt, default `alias/sealbox/env`; for decrypt, the key of a Fernet token.
    public var keyId: String?
    /// Encrypt only: make a Fernet token instead of `sealbox:v1:...`.
    public var fernet: Bool?

    /// - Parameters:
    ///   - name: the variable's name.
    ///   - value: the plaintext, to encrypt.
    ///   - token: the token, to decrypt or rewrap.
    ///   - keyId: the KMS key, or nil for the default.
    ///   - fernet: whether encrypt makes a Fernet token.
    public init(
        name: String, value: String? = nil, token: String? = nil, keyId: String? = nil, fernet: Bool? = nil
    ) {
        self.name = name
        self.value = value
        self.token = token
        self.keyId = keyId
        self.fernet = fernet
    }
}
