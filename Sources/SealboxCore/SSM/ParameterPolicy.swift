/// A parameter policy, as PutParameter's `Policies` attaches it to an Advanced parameter: an
/// expiration (the parameter is deleted at its time), or a notification before that time or after a
/// time without change. Sealbox has no EventBridge: a notification is an audit record, a log line
/// and a metric.
public struct ParameterPolicy: Hashable, Sendable, Codable {
    /// The policy types Parameter Store has.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case expiration = "Expiration"
        case expirationNotification = "ExpirationNotification"
        case noChangeNotification = "NoChangeNotification"
    }

    public var kind: Kind
    /// Expiration: the time, in seconds since the epoch. Notifications: how long before the
    /// expiration, or after the version's last change, in seconds.
    public var seconds: Double
    /// The policy as one JSON object, returned as `PolicyText`.
    public var text: String
    /// Whether a notification has been sent; an expiration deletes the parameter instead.
    public var fired: Bool

    /// - Parameters: see the properties.
    public init(kind: Kind, seconds: Double, text: String, fired: Bool = false) {
        self.kind = kind
        self.seconds = seconds
        self.text = text
        self.fired = fired
    }

    /// When the policy acts, given its version's other policies and last change; nil for a
    /// notification already sent, or one before an expiration the version does not have.
    /// - Parameters:
    ///   - policies: every policy of the version, this one included.
    ///   - modified: when the version was written.
    public func due(among policies: [ParameterPolicy], modified: Double) -> Double? {
        guard !fired else { return nil }
        switch kind {
        case .expiration: return seconds
        case .expirationNotification:
            return policies.first { $0.kind == .expiration }.map { $0.seconds - seconds }
        case .noChangeNotification: return modified + seconds
        }
    }

    /// AWS's `PolicyStatus`: `Finished` once a notification is sent, else `Pending`.
    public var status: String { fired ? "Finished" : "Pending" }
}

/// A policy that acted: what the daemon records, logs and counts for it.
public struct ParameterPolicyEvent: Sendable, Equatable {
    public var name: String
    /// The parameter's account and region.
    public var scope: Scope
    public var kind: ParameterPolicy.Kind
    /// The version whose policy acted.
    public var version: Int

    /// - Parameters: see the properties.
    public init(name: String, scope: Scope, kind: ParameterPolicy.Kind, version: Int) {
        self.name = name
        self.scope = scope
        self.kind = kind
        self.version = version
    }
}
