import Logging
import SealboxAWS
import SealboxCore
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// Re-reads the config file on SIGHUP and installs the new policy, access keys, extension tokens
/// and lease limits for every later request. A file that does not parse leaves the running settings in place.
public struct ConfigReloader: Service {
    private let reload: @Sendable () throws -> Void
    private let logger: Logger
    private let notifier: SystemdNotifier

    /// - Parameters:
    ///   - logger: reports each reload.
    ///   - notifier: told `RELOADING=1` before and `READY=1` after, as `Type=notify` services do.
    ///   - reload: parses the config and installs it; throws to keep the old settings.
    public init(
        logger: Logger,
        notifier: SystemdNotifier = SystemdNotifier(environment: [:]),
        reload: @escaping @Sendable () throws -> Void
    ) {
        self.reload = reload
        self.logger = logger
        self.notifier = notifier
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(Int(now.tv_sec) * 1_000_000 + now.tv_nsec / 1000)")
            defer { notifier.notify("READY=1\nSTATUS=serving") }
            do {
                try reload()
                logger.info("reloaded the config on SIGHUP")
            } catch {
                logger.error("config reload failed; keeping the running settings", metadata: ["error": "\(error)"])
            }
        }
    }
}
