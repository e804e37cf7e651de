/// The answer to `POST /v1/env/rewrap`: the same value under its key's newest version.
public struct EnvRewrapped: Codable, Sendable, Equatable {
    /// The variable's name.
    public var name: String
    /// The token, new or (when already current) the one sent.
    public var token: String
    /// Whether the token changed.
    public var changed: Bool

    /// - Parameters:
    ///   - name: the variable's name.
    ///   - token: the token.
    ///   - changed: whether it changed.
    public init(name: String, token: String, changed: Bool) {
        self.name = name
        self.token = token
        self.changed = changed
    }
}
