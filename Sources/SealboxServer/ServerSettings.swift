/// What the server needs to know about how the daemon was started.
public struct ServerSettings: Sendable {
    /// The account in ARNs.
    public var accountID: String
    /// The region when a request names none.
    public var region: String
    /// In-memory test mode: any credentials are accepted on TCP, unless `requireAuth`.
    public var ephemeral: Bool
    /// With `ephemeral`, still verify SigV4 (against the config's access keys) and the token.
    public var requireAuth: Bool = false
    /// The daemon's own uid, which the default policy trusts.
    public var daemonUID: UInt32
    /// The largest request body accepted.
    public var maxBodyBytes: Int
    /// Open connections (both listeners) beyond which requests get 429.
    public var maxConnections: Int
    /// From the end of a request's head to the end of its body, in seconds.
    public var requestTimeoutSeconds = 10
    /// The version string reported by `/health`.
    public var version: String
    /// Where the root key came from (`file:...`, `env:...`, `credential:...`), for status reports.
    public var rootKeySource: String = "random (ephemeral)"
    /// The root key file, when the source is `file:`: only such a key can be rotated by the daemon.
    public var rootKeyFile: String?

    /// - Parameters:
    ///   - accountID: the account in ARNs.
    ///   - region: the default region.
    ///   - ephemeral: test mode.
    ///   - daemonUID: the daemon's uid.
    ///   - maxBodyBytes: the body limit.
    ///   - maxConnections: the connection cap.
    ///   - version: the daemon version.
    public init(
        accountID: String,
        region: String,
        ephemeral: Bool,
        daemonUID: UInt32,
        maxBodyBytes: Int = 64 * 1024,
        maxConnections: Int = 1024,
        version: String
    ) {
        self.accountID = accountID
        self.region = region
        self.ephemeral = ephemeral
        self.daemonUID = daemonUID
        self.maxBodyBytes = maxBodyBytes
        self.maxConnections = maxConnections
        self.version = version
    }
}
