import Yams

/// The config's `store:` section: how a daemon follows a store it shares with others. Read at start.
public struct StoreSettings: Sendable, Equatable {
    /// How often the daemon reads the change feed even without a notification, so a lost one costs
    /// at most this long.
    public var resyncSeconds = 30
    /// How long reads are served from memory after the store became unreachable; then they are refused.
    public var maxStaleSeconds = 300

    public init() {}

    static func parse(_ node: Node, _ fail: (String) -> SetupError) throws -> StoreSettings {
        guard let mapping = node.mapping else { throw fail("store must be a mapping") }
        var settings = StoreSettings()
        for (name, value) in mapping {
            switch name.string ?? "" {
            case "resyncSeconds":
                guard let seconds = value.int, (1...3600).contains(seconds) else {
                    throw fail("store.resyncSeconds must be 1 to 3600")
                }
                settings.resyncSeconds = seconds
            case "maxStaleSeconds":
                guard let seconds = value.int, (0...86_400).contains(seconds) else {
                    throw fail("store.maxStaleSeconds must be 0 to 86400")
                }
                settings.maxStaleSeconds = seconds
            default:
                throw fail("unknown key 'store.\(name.string ?? "")' (expected resyncSeconds, maxStaleSeconds)")
            }
        }
        return settings
    }
}
