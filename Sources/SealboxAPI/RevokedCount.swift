/// The answer to `POST /v1/leases/revoke`: how many leases ended.
public struct RevokedCount: Codable, Sendable, Equatable {
    /// The leases revoked; 0 when none matched.
    public var revoked: Int

    /// - Parameter revoked: the count.
    public init(revoked: Int) {
        self.revoked = revoked
    }
}
