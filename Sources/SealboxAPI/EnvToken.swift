/// The answer to `POST /v1/env/encrypt`: the variable and its token.
public struct EnvToken: Codable, Sendable, Equatable {
    /// The variable's name.
    public var name: String
    /// `sealbox:v1:...` bound to `name`, or a Fernet token.
    public var token: String

    /// - Parameters:
    ///   - name: the variable's name.
    ///   - token: the token.
    public init(name: String, token: String) {
        self.name = name
        self.token = token
    }
}
