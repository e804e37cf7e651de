/// `GET /v1/status` (`admin:Status`): the daemon's version, uptime, counts, root key source and audit state.
public struct StatusResponse: Codable, Sendable, Equatable {
    /// The audit log's state.
    public struct Audit: Codable, Sendable, Equatable {
        /// Whether the daemon writes an audit log.
        public var enabled: Bool
        /// The log file, `-` for stderr; absent when there is no log.
        public var path: String?
        /// Batches the daemon could not write (their requests got 503).
        public var writeFailures: Int

        /// - Parameters:
        ///   - enabled: whether there is a log.
        ///   - path: its file, `-` for stderr, nil without a log.
        ///   - writeFailures: failed writes.
        public init(enabled: Bool, path: String?, writeFailures: Int) {
            self.enabled = enabled
            self.path = path
            self.writeFailures = writeFailures
        }
    }

    /// The daemon's version.
    public var version: String
    /// Seconds since start.
    public var uptimeSeconds: Int
    /// Whether the store is in memory.
    public var ephemeral: Bool
    /// KMS keys.
    public var keys: Int
    /// SSM parameters.
    public var parameters: Int
    /// Secrets Manager secrets, those scheduled for deletion included; absent from a daemon that
    /// serves none.
    public var secrets: Int?
    /// Active leases.
    public var leases: Int
    /// Where the root key comes from, such as `file:/var/lib/sealbox/root.key`.
    public var rootKey: String
    /// Where the store is: `sqlite:PATH`, a `postgres://` URL (never with a password) or `memory`.
    public var store: String?
    /// `ok`, or `degraded: <reason>` while a shared store is unreachable.
    public var storeHealth: String?
    /// The audit log.
    public var audit: Audit

    /// - Parameters:
    ///   - version: the daemon's version.
    ///   - uptimeSeconds: seconds since start.
    ///   - ephemeral: whether the store is in memory.
    ///   - keys: the key count.
    ///   - parameters: the parameter count.
    ///   - secrets: the secret count, if the daemon serves secrets.
    ///   - leases: the active lease count.
    ///   - rootKey: the root key source.
    ///   - store: where the store is.
    ///   - storeHealth: `ok` or `degraded: <reason>`.
    ///   - audit: the audit log's state.
    public init(
        version: String, uptimeSeconds: Int, ephemeral: Bool, keys: Int, parameters: Int, secrets: Int? = nil,
        leases: Int,
        rootKey: String, store: String? = nil, storeHealth: String? = nil, audit: Audit
    ) {
        self.store = store
        self.storeHealth = storeHealth
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.ephemeral = ephemeral
        self.keys = keys
        self.parameters = parameters
        self.secrets = secrets
        self.leases = leases
        self.rootKey = rootKey
        self.audit = audit
    }
}
