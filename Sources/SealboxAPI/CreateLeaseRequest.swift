/// `POST /v1/leases`: a lease on one parameter, or one Secrets Manager secret, for the calling
/// process. Every member is optional on the wire; the daemon answers 400 unless exactly one of
/// `name` and `secretId` is given (and not empty), or when `versionId` or `versionStage` come with
/// `name`.
public struct CreateLeaseRequest: Codable, Sendable, Equatable {
    /// The parameter name.
    public var name: String?
    /// The secret: its name, full ARN or ARN without its suffix.
    public var secretId: String?
    /// The secret version every redeem serves; absent to follow a staging label.
    public var versionId: String?
    /// The staging label whose version each redeem serves; `AWSCURRENT` when neither it nor
    /// `versionId` is given.
    public var versionStage: String?
    /// The lease lifetime; the daemon's default (300 s) when absent, capped at its maximum.
    public var ttlSeconds: Int?
    /// The most redeems; 0 or absent for no limit.
    public var maxUses: Int?

    /// A lease on a parameter.
    /// - Parameters:
    ///   - name: the parameter name.
    ///   - ttlSeconds: the lifetime in seconds; nil for the daemon's default.
    ///   - maxUses: the most redeems; nil or 0 for no limit.
    public init(name: String, ttlSeconds: Int? = nil, maxUses: Int? = nil) {
        self.name = name
        self.ttlSeconds = ttlSeconds
        self.maxUses = maxUses
    }

    /// A lease on a Secrets Manager secret.
    /// - Parameters:
    ///   - secretId: the secret's name or ARN.
    ///   - versionStage: the staging label to follow; nil for `AWSCURRENT` (or for `versionId` alone).
    ///   - versionId: one version to serve, if any.
    ///   - ttlSeconds: the lifetime in seconds; nil for the daemon's default.
    ///   - maxUses: the most redeems; nil or 0 for no limit.
    public init(
        secretId: String, versionStage: String? = nil, versionId: String? = nil, ttlSeconds: Int? = nil,
        maxUses: Int? = nil
    ) {
        self.secretId = secretId
        self.versionStage = versionStage
        self.versionId = versionId
        self.ttlSeconds = ttlSeconds
        self.maxUses = maxUses
    }
}
