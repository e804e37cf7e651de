/// `POST /v1/leases/revoke` (admin): one lease by id, or every lease on names under a prefix. When
/// both are sent, `leaseId` wins; answered with ``RevokedCount``.
public struct RevokeLeasesRequest: Codable, Sendable, Equatable {
    /// Revoke every lease whose parameter name starts with this.
    public var prefix: String?
    /// Revoke this one lease.
    public var leaseId: String?

    /// - Parameters:
    ///   - prefix: a name prefix, such as `/app/`.
    ///   - leaseId: a lease id.
    public init(prefix: String? = nil, leaseId: String? = nil) {
        self.prefix = prefix
        self.leaseId = leaseId
    }
}
