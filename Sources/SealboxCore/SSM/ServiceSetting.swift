/// The Parameter Store's service settings, one value per account and region, as AWS keeps them.
/// Sealbox serves the two that concern Parameter Store.
public enum ServiceSetting: String, CaseIterable, Sendable {
    /// The tier of a PutParameter that names none: `Standard`, `Advanced` or `Intelligent-Tiering`.
    case defaultParameterTier = "/ssm/parameter-store/default-parameter-tier"
    /// `true` or `false`. Stored and returned; Sealbox sets no throughput quota for it to lift.
    case highThroughputEnabled = "/ssm/parameter-store/high-throughput-enabled"

    /// The value before any change, and after a reset.
    public var defaultValue: String {
        switch self {
        case .defaultParameterTier: "Standard"
        case .highThroughputEnabled: "false"
        }
    }

    /// The values the setting takes, as AWS lists them.
    public var allowedValues: [String] {
        switch self {
        case .defaultParameterTier: ["Standard", "Advanced", "Intelligent-Tiering"]
        case .highThroughputEnabled: ["true", "false"]
        }
    }
}

/// A service setting changed from its default: what the store keeps.
public struct ServiceSettingRecord: Sendable, Equatable {
    public var scope: Scope
    public var setting: ServiceSetting
    public var value: String
    public var modified: Double
    public var modifiedBy: String

    /// - Parameters:
    ///   - scope: the account and region it applies to.
    ///   - setting: which setting.
    ///   - value: its value, one the setting allows.
    ///   - modified: when it was set.
    ///   - modifiedBy: who set it.
    public init(scope: Scope, setting: ServiceSetting, value: String, modified: Double, modifiedBy: String) {
        self.scope = scope
        self.setting = setting
        self.value = value
        self.modified = modified
        self.modifiedBy = modifiedBy
    }

    /// Where the SSM finds it.
    public var address: Scoped<String> { Scoped(setting.rawValue, in: scope) }
}
