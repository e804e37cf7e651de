/// `POST /v1/leases/{id}/renew`: the lease's TTL counted again from now; answered with ``LeaseInfo``.
public struct RenewLeaseRequest: Codable, Sendable, Equatable {
    /// The new lifetime; the daemon's default when absent.
    public var ttlSeconds: Int?

    /// - Parameter ttlSeconds: the lifetime in seconds; nil for the daemon's default.
    public init(ttlSeconds: Int? = nil) {
        self.ttlSeconds = ttlSeconds
    }
}
