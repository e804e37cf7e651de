import SealboxAWS
import SealboxCore
import SealboxCrypto
import Synchronization

/// What the config file decides about callers, swapped whole on SIGHUP: the policy (nil lets every
/// caller through, for ephemeral daemons without a config), the SigV4 access keys and the extension
/// routes' tokens.
public struct SecuritySettings: Sendable {
    public var policy: Policy?
    public var accessKeys: [AccessKey]
    public var extensionTokens: ExtensionTokens

    /// - Parameters:
    ///   - policy: the policy; nil for none.
    ///   - accessKeys: the access keys accepted on TCP.
    ///   - extensionTokens: the further tokens and the headers of the extension and agent routes.
    public init(policy: Policy?, accessKeys: [AccessKey], extensionTokens: ExtensionTokens = .standard) {
        self.policy = policy
        self.accessKeys = accessKeys
        self.extensionTokens = extensionTokens
    }
}

/// Holds the current ``SecuritySettings`` for lock-free reads on every request.
///
/// Readers load an atomic reference. Replaced settings are kept alive for the life of the process
/// (a reload is rare and the settings are small), so a reader never sees a freed object.
public final class SecurityState: Sendable {
    final class Snapshot: Sendable {
        let settings: SecuritySettings
        let keys: [String: AccessKey]

        init(_ settings: SecuritySettings) {
            self.settings = settings
            keys = Dictionary(settings.accessKeys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    private let current: Atomic<Unmanaged<Snapshot>>
    private let retired = Locked<[Snapshot]>([])

    /// - Parameter settings: the initial settings.
    public init(_ settings: SecuritySettings) {
        let snapshot = Snapshot(settings)
        retired.withLock { $0.append(snapshot) }
        current = Atomic(Unmanaged.passUnretained(snapshot))
    }

    /// The settings in force.
    var snapshot: Snapshot { current.load(ordering: .acquiring).takeUnretainedValue() }

    /// Installs new settings for every later request.
    /// - Parameter settings: the new settings.
    public func replace(_ settings: SecuritySettings) {
        let snapshot = Snapshot(settings)
        retired.withLock { $0.append(snapshot) }
        current.store(Unmanaged.passUnretained(snapshot), ordering: .releasing)
    }
}
