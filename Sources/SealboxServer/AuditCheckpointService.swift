import Logging
import SealboxCore
import ServiceLifecycle

/// Writes the audit log's periodic checkpoints (``AuditLog/checkpoint(final:)``) from a timer, off
/// the event loops: each signs every chain's written head, so a record deleted before it, or moved
/// across it, is found by `audit verify`. The final checkpoint is written once the server has
/// stopped (`sealboxd` does it), not here: requests still draining would follow it.
public struct AuditCheckpointService: Service {
    /// How often: the most a crash can leave uncovered. An idle daemon writes nothing.
    public static let interval: Duration = .seconds(10)

    private let audit: AuditLog
    private let interval: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - audit: the log.
    ///   - interval: how often to write one.
    ///   - logger: reports a checkpoint that could not be written.
    public init(audit: AuditLog, interval: Duration = Self.interval, logger: Logger) {
        self.audit = audit
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try audit.checkpoint(final: false)
                } catch {
                    logger.error("the audit checkpoint could not be written", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
