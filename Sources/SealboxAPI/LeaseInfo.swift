/// A lease as the daemon describes it: the answer to create (201) and renew, and each entry of
/// ``LeaseList``. It holds no plaintext.
public struct LeaseInfo: Codable, Sendable, Equatable {
    /// The lease id, used in ``NativePath/redeem(_:)`` and the other lease paths.
    public var leaseId: String
    /// The leased parameter.
    public var name: String
    /// When the lease expires, in epoch seconds.
    public var expiresAt: Double
    /// The parameter's version when the lease was made.
    public var version: Int
    /// The most redeems; 0 for no limit.
    public var maxUses: Int
    /// Redeems so far.
    public var uses: Int

    /// The members on the wire, for readers that scan the body without a `JSONDecoder`.
    public enum CodingKeys: String, CodingKey {
        case leaseId, name, expiresAt, version, maxUses, uses
    }

    /// - Parameters:
    ///   - leaseId: the lease id.
    ///   - name: the parameter name.
    ///   - expiresAt: the expiry in epoch seconds.
    ///   - version: the parameter version.
    ///   - maxUses: the most redeems, 0 for no limit.
    ///   - uses: redeems so far.
    public init(leaseId: String, name: String, expiresAt: Double, version: Int, maxUses: Int, uses: Int) {
        self.leaseId = leaseId
        self.name = name
        self.expiresAt = expiresAt
        self.version = version
        self.maxUses = maxUses
        self.uses = uses
    }
}
