/// `GET /v1/leases` (admin): every active lease.
public struct LeaseList: Codable, Sendable, Equatable {
    /// The leases.
    public var leases: [LeaseInfo]

    /// - Parameter leases: the leases.
    public init(leases: [LeaseInfo]) {
        self.leases = leases
    }
}
