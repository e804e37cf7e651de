import Logging
import SealboxCore
import ServiceLifecycle
import UnixSignals

/// Re-reads the config file on SIGHUP and installs the new policy, access keys and lease limits
/// for every later request. A file that does not parse leaves the running settings in place.
public struct ConfigReloader: Service {
    private let reload: @Sendable () throws -> Void
    private let logger: Logger

    /// - Parameters:
    ///   - reload: parses the config and installs it; throws to keep the old settings.
    ///   - logger: reports each reload.
    public init(logger: Logger, reload: @escaping @Sendable () throws -> Void) {
        self.reload = reload
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                try reload()
                logger.info("reloaded the config on SIGHUP")
            } catch {
                logger.error("config reload failed; keeping the running settings", metadata: ["error": "\(error)"])
            }
        }
    }
}
