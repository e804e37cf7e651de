import SealboxCore

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
    /// `--allow-remote`: TCP requests may name any `Host`; otherwise only a loopback one.
    public var allowRemote: Bool = false
    /// Regions a SigV4 credential scope may name besides AWS's own and `region` (`aws.regions`).
    public var extraRegions: [String] = []
    /// The daemon's own uid, which the default policy trusts.
    public var daemonUID: UInt32
    /// The connection cap and the per-connection limits, which refusals quote.
    public var limits: ServerLimits
    /// The version string reported by `/health`.
    public var version: String
    /// Where the root key came from (`file:...`, `env:...`, `credential:...`), for status reports.
    public var rootKeySource: String = "random (ephemeral)"
    /// Where the store is, as `--store` names it; `memory` for an ephemeral daemon.
    public var storeLocation: String = "memory"
    /// The root key file, when the source is `file:`: only such a key can be rotated by the daemon.
    public var rootKeyFile: String?

    /// - Parameters:
    ///   - accountID: the account in ARNs.
    ///   - region: the default region.
    ///   - ephemeral: test mode.
    ///   - daemonUID: the daemon's uid.
    ///   - limits: the connection cap and the per-connection limits.
    ///   - version: the daemon version.
    public init(
        accountID: String,
        region: String,
        ephemeral: Bool,
        daemonUID: UInt32,
        limits: ServerLimits = ServerLimits(),
        version: String
    ) {
        self.accountID = accountID
        self.region = region
        self.ephemeral = ephemeral
        self.daemonUID = daemonUID
        self.limits = limits
        self.version = version
    }
}
