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
        }
    }
}

/// A capability to decrypt one parameter, bound to its creator. It carries no plaintext.
public struct Lease: Sendable {
    /// The lease id.
    public let id: LeaseID
    /// The parameter it opens.
    public let name: String
    public let owner: LeaseOwner
    public let created: Double
    public var expiresAt: Double
    /// The most redeems allowed; 0 for no limit.
    public let maxUses: Int
    public var uses: Int
    /// The parameter's version when the lease was made.
    public let version: Int
}

/// Limits of the lease table, from the config file.
public struct LeaseSettings: Sendable, Equatable {
    public var defaultTtlSeconds: Int
    public var maxTtlSeconds: Int
    public var maxActive: Int

    /// - Parameters:
    ///   - defaultTtlSeconds: the TTL when a request names none.
    ///   - maxTtlSeconds: the longest TTL, for create and renew.
    ///   - maxActive: the table's bound; past it, creation gets 429.
    public init(defaultTtlSeconds: Int = 300, maxTtlSeconds: Int = 3600, maxActive: Int = 100_000) {
        self.defaultTtlSeconds = defaultTtlSeconds
        self.maxTtlSeconds = maxTtlSeconds
        self.maxActive = maxActive
    }
}

/// A native API failure: an HTTP status, a short code and a message that never holds a secret.
public struct LeaseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String

    public var description: String { "\(status) \(code): \(message)" }

    static func badRequest(_ message: String) -> LeaseError {
        LeaseError(status: 400, code: "BadRequest", message: message)
    }
    static func notFound(_ message: String) -> LeaseError {
        LeaseError(status: 404, code: "LeaseNotFound", message: message)
    }
    static func parameterNotFound(_ name: String) -> LeaseError {
        LeaseError(status: 404, code: "ParameterNotFound", message: "No parameter named \(name)")
    }
    static let expired = LeaseError(
        status: 403, code: "LeaseExpired", message: "The lease has expired; create a new one.")
    static let usedUp = LeaseError(
        status: 403, code: "LeaseUsedUp", message: "The lease has no redeems left; create a new one.")
    static func forbidden(_ message: String) -> LeaseError {
        LeaseError(status: 403, code: "AccessDenied", message: message)
    }
    static let tableFull = LeaseError(
        status: 429, code: "TooManyLeases", message: "The lease table is full; let leases expire or revoke some.")
}
