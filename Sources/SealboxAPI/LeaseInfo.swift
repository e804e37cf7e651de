/// A lease as the daemon describes it: the answer to create (201) and renew, and each entry of
/// ``LeaseList``. It holds no plaintext. A parameter lease has `name` and `version`; a secret lease
/// has `secretId`, `versionId` and, when it follows a label, `versionStage`.
public struct LeaseInfo: Codable, Sendable, Equatable {
    /// The lease id, used in ``NativePath/redeem(_:)`` and the other lease paths.
    public var leaseId: String
    /// The leased parameter.
    public var name: String?
    /// The leased secret's name.
    public var secretId: String?
    /// When the lease expires, in epoch seconds.
    public var expiresAt: Double
    /// The parameter's version when the lease was made.
    public var version: Int?
    /// The secret version the lease served when it was made (the one it always serves when it was
    /// made for one version).
    public var versionId: String?
    /// The staging label whose version each redeem serves.
    public var versionStage: String?
    /// The most redeems; 0 for no limit.
    public var maxUses: Int
    /// Redeems so far.
    public var uses: Int

    /// The members on the wire, for readers that scan the body without a `JSONDecoder`.
    public enum CodingKeys: String, CodingKey {
        case leaseId, name, secretId, expiresAt, version, versionId, versionStage, maxUses, uses
    }

    /// A parameter lease.
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

    /// A secret lease.
    /// - Parameters:
    ///   - leaseId: the lease id.
    ///   - secretId: the secret's name.
    ///   - expiresAt: the expiry in epoch seconds.
    ///   - versionId: the version served when the lease was made.
    ///   - versionStage: the staging label followed, if any.
    ///   - maxUses: the most redeems, 0 for no limit.
    ///   - uses: redeems so far.
    public init(
        leaseId: String, secretId: String, expiresAt: Double, versionId: String, versionStage: String?, maxUses: Int,
        uses: Int
    ) {
        self.leaseId = leaseId
        self.secretId = secretId
        self.expiresAt = expiresAt
        self.versionId = versionId
        self.versionStage = versionStage
        self.maxUses = maxUses
        self.uses = uses
    }
}
