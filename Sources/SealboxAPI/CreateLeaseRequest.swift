/// `POST /v1/leases`: a lease on one parameter for the calling process. Every member is optional
/// on the wire; the daemon answers 400 when `name` is missing or empty.
public struct CreateLeaseRequest: Codable, Sendable, Equatable {
    /// The parameter name.
    public var name: String?
    /// The lease lifetime; the daemon's default (300 s) when absent, capped at its maximum.
    public var ttlSeconds: Int?
    /// The most redeems; 0 or absent for no limit.
    public var maxUses: Int?

    /// - Parameters:
    ///   - name: the parameter name.
    ///   - ttlSeconds: the lifetime in seconds; nil for the daemon's default.
    ///   - maxUses: the most redeems; nil or 0 for no limit.
    public init(name: String, ttlSeconds: Int? = nil, maxUses: Int? = nil) {
        self.name = name
        self.ttlSeconds = ttlSeconds
        self.maxUses = maxUses
    }
}
