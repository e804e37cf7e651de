/// `GET /health`: liveness and counts; needs no grant.
public struct Health: Codable, Sendable, Equatable {
    /// `ok`, or `degraded` while a shared store is unreachable.
    public var status: String
    /// Why the daemon is degraded; absent when it is not.
    public var reason: String?
    /// The daemon's version.
    public var version: String
    /// Seconds since start.
    public var uptimeSeconds: Int
    /// Whether the daemon keeps everything in memory.
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
    /// Whether every block of guarded memory (keys, values) was locked in RAM; false means some may be
    /// swapped to disk, because `RLIMIT_MEMLOCK` is too small.
    public var memoryLocked: Bool

    /// - Parameters:
    ///   - status: `ok` or `degraded`.
    ///   - reason: why it is degraded, if it is.
    ///   - version: the daemon's version.
    ///   - uptimeSeconds: seconds since start.
    ///   - ephemeral: whether the store is in memory.
    ///   - keys: the key count.
    ///   - parameters: the parameter count.
    ///   - secrets: the secret count, if the daemon serves secrets.
    ///   - leases: the active lease count.
    ///   - memoryLocked: whether all guarded memory is locked in RAM.
    public init(
        status: String, reason: String? = nil, version: String, uptimeSeconds: Int, ephemeral: Bool, keys: Int,
        parameters: Int,
        secrets: Int? = nil,
        leases: Int,
        memoryLocked: Bool = true
    ) {
        self.status = status
        self.reason = reason
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.ephemeral = ephemeral
        self.keys = keys
        self.parameters = parameters
        self.secrets = secrets
        self.leases = leases
        self.memoryLocked = memoryLocked
    }
}
