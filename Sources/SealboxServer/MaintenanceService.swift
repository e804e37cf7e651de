import Logging
import SealboxAWS
import SealboxCore
import ServiceLifecycle

/// Periodic housekeeping: drops expired leases, deletes keys whose deletion window has ended and rotates keys whose
/// automatic rotation is due. Runs off the event loops.
public struct MaintenanceService: Service {
    private let kms: KMS
    private let secrets: SecretsManager?
    private let leases: LeaseService
    private let interval: Duration
    private let logger: Logger
    private let metrics: ServerMetrics?

    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - secrets: the Secrets Manager service, whose secrets past their recovery window it deletes.
    ///   - leases: the lease table to sweep.
    ///   - interval: how often to look.
    ///   - metrics: counts expired leases and automatic rotations, if kept.
    ///   - logger: reports what was done.
    public init(
        kms: KMS, secrets: SecretsManager? = nil, leases: LeaseService, interval: Duration = .seconds(60),
        metrics: ServerMetrics? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.kms = kms
        self.secrets = secrets
        self.leases = leases
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                tick()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One interval: a lease stays that long after it expires, so its next use is told it expired.
    private var graceSeconds: Double {
        let (seconds, attoseconds) = interval.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private func tick() {
        do {
            let expired = leases.sweep(expiredFor: graceSeconds)
            let deleted = try kms.purgeDeletedKeys()
            let rotated = try kms.rotateDueKeys()
            let lapsed = try kms.expireImportedMaterial()
            let purged = try secrets?.purgeDeleted() ?? 0
            metrics?.leasesExpired.increment(by: expired)
            metrics?.keyRotations.increment(by: rotated)
            if deleted + rotated + lapsed + purged > 0 {
                logger.info(
                    "maintenance",
                    metadata: [
                        "deletedKeys": "\(deleted)", "rotatedKeys": "\(rotated)", "expiredKeyMaterial": "\(lapsed)",
                        "deletedSecrets": "\(purged)",
                    ])
            }
        } catch {
            logger.error("maintenance failed", metadata: ["error": "\(error)"])
        }
    }
}
