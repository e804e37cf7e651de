/// Who may use a lease: the process that created it on the Unix socket (uid, pid and start time, so
/// a recycled pid is a stranger), or the authenticated principal on TCP.
public enum LeaseOwner: Hashable, Sendable {
    case process(uid: UInt32, pid: Int32, startTime: UInt64)
    case principal(String)

    /// The owner a request's caller would be.
    /// - Parameter principal: the caller.
    public init(_ principal: RequestContext.Principal) {
        switch principal {
        case .process(let pid, let uid, _, let startTime): self = .process(uid: uid, pid: pid, startTime: startTime)
        case .accessKey(let id): self = .principal("access-key:\(id)")
        case .token: self = .principal("token")
        case .anonymous: self = .principal("anonymous")
        case .daemon: self = .principal("sealboxd")
        }
    }
}

extension LeaseOwner {
    /// Whose quota a lease counts against: a uid, whatever its processes, or a TCP principal.
    var quota: LeaseQuota {
        switch self {
        case .process(let uid, _, _): .uid(uid)
        case .principal(let name): .principal(name)
        }
    }
}

/// The owner ``LeaseSettings/maxActivePerOwner`` counts: every process of one uid together, since a
/// caller can start as many processes as it likes.
enum LeaseQuota: ShardKey {
    case uid(UInt32)
    case principal(String)

    var shardHash: UInt {
        switch self {
        case .uid(let uid): UInt(uid)
        case .principal(let name): name.shardHash
        }
    }
}

/// A capability to decrypt one parameter or Secrets Manager secret, bound to its creator. It carries
/// no plaintext.
public struct Lease: Sendable {
    /// The lease id.
    public let id: LeaseID
    /// The parameter's or the secret's name, as stored.
    public let name: String
    /// Its account and region: the caller's when the lease was made.
    public let scope: Scope
    /// What kind of secret it opens, and which version.
    public let target: LeaseTarget
    public let owner: LeaseOwner
    public let created: Double
    public var expiresAt: Double
    /// The most redeems allowed; 0 for no limit.
    public let maxUses: Int
    public var uses: Int
}

/// Limits of the lease table, from the config file.
public struct LeaseSettings: Sendable, Equatable {
    public var defaultTtlSeconds: Int
    public var maxTtlSeconds: Int
    public var maxActive: Int
    public var maxActivePerOwner: Int

    /// - Parameters:
    ///   - defaultTtlSeconds: the TTL when a request names none.
    ///   - maxTtlSeconds: the longest TTL, for create and renew.
    ///   - maxActive: the table's bound; past it, creation gets 429.
    ///   - maxActivePerOwner: the most one owner (a uid on the socket, an access key or the token on
    ///     TCP) may hold; past it, that owner's creations get 429. The default lets no owner fill more
    ///     than a fifth of the default table.
    public init(
        defaultTtlSeconds: Int = 300,
        maxTtlSeconds: Int = 3600,
        maxActive: Int = 100_000,
        maxActivePerOwner: Int = 20_000
    ) {
        self.defaultTtlSeconds = defaultTtlSeconds
        self.maxTtlSeconds = maxTtlSeconds
        self.maxActive = maxActive
        self.maxActivePerOwner = maxActivePerOwner
    }
}

extension SealboxError {
    static let leaseNotFound = SealboxError(.leaseNotFound, "No such lease for this caller")
    static let leaseExpired = SealboxError(.leaseExpired, "The lease has expired; create a new one.")
    static let leaseUsedUp = SealboxError(.leaseUsedUp, "The lease has no redeems left; create a new one.")
    static let tooManyLeases = SealboxError(
        .tooManyLeases, "The lease table is full; let leases expire or revoke some.")
    static func tooManyLeases(perOwner limit: Int) -> SealboxError {
        SealboxError(
            .tooManyLeases,
            "This caller holds \(limit) leases, the most one owner may (leases.maxActivePerOwner); delete or let some expire."
        )
    }
    static let keyUnavailable = SealboxError(.keyUnavailable, "The parameter's KMS key cannot decrypt it")
    static let noSecretsManager = SealboxError.validation("secretId: this daemon serves no Secrets Manager secrets")
    static func noParameter(_ name: String) -> SealboxError {
        SealboxError(.parameterNotFound, "No parameter named \(name)")
    }
}
