import Foundation
import Logging
import SealboxCore
import ServiceLifecycle

/// Runs secret rotations: those RotateSecret starts, and those their `RotationRules` schedule, when
/// the window opens. A rotation runs the four steps (createSecret, setSecret, testSecret,
/// finishSecret) of the executable the config maps its `RotationLambdaARN` to, one process per step;
/// the first failure ends it with AWSCURRENT where it was. Each outcome goes to the audit log, the
/// structured log and the metrics.
public struct RotationService: Service {
    private let secrets: SecretsManager
    private let handlers: RotationHandlers
    private let timeout: @Sendable () -> Int
    private let audit: AuditLog?
    private let metrics: ServerMetrics?
    private let logger: Logger

    static let steps = ["createSecret", "setSecret", "testSecret", "finishSecret"]

    /// - Parameters:
    ///   - secrets: the secrets rotated.
    ///   - handlers: runs the steps' processes.
    ///   - timeout: the most one step may take, in seconds, as the config says now.
    ///   - audit: where each outcome is recorded, if there is an audit log.
    ///   - metrics: counts the outcomes, if kept.
    ///   - logger: reports each outcome.
    public init(
        secrets: SecretsManager, handlers: RotationHandlers, timeout: @escaping @Sendable () -> Int, audit: AuditLog?,
        metrics: ServerMetrics? = nil, logger: Logger
    ) {
        self.secrets = secrets
        self.handlers = handlers
        self.timeout = timeout
        self.audit = audit
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        // A step may run for minutes: shutdown kills its process group rather than wait for it, and
        // the rotation ends as failed, AWSCURRENT where it was.
        await withGracefulShutdownHandler {
            await runUntilShutdown()
        } onGracefulShutdown: {
            handlers.killAll()
        }
    }

    private func runUntilShutdown() async {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await withDiscardingTaskGroup { rotations in
                        for await job in secrets.rotationJobs { rotations.addTask { await rotate(job) } }
                    }
                }
                // One timer for the earliest window; a change that brings it forward adds another.
                var planned: Double? = nil
                for await _ in secrets.scheduleChanges {
                    if let at = planned, at <= secrets.clock.now() { planned = nil }
                    guard let due = secrets.nextRotationDue(), planned.map({ due < $0 }) ?? true else { continue }
                    planned = due
                    group.addTask { await start(at: due) }
                }
            }
        }
    }

    private func start(at due: Double) async {
        do {
            var wait = due - secrets.clock.now()
            while wait > 0 {
                try await Task.sleep(for: .milliseconds(Int64((min(wait, 86_400) * 1000).rounded(.up))))
                wait = due - secrets.clock.now()
            }
            secrets.startDueRotations(now: secrets.clock.now())
        } catch {
            return
        }
    }

    private func rotate(_ job: RotationJob) async {
        report(job, "RotationStarted", outcome: nil)
        var failure: String? = nil
        for step in Self.steps {
            guard secrets.isWanted(job) else { break }
            guard let path = secrets.handlerPath(for: job.lambdaARN) else {
                failure = "the config maps no executable to \(job.lambdaARN)"
                break
            }
            let event = Self.event(step: step, job: job)
            let function = String(job.lambdaARN.split(separator: ":").last ?? "")
            let seconds = Double(timeout())
            let result = await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(
                        returning: handlers.run(
                            path: path, event: event, function: function, region: job.address.scope.region,
                            timeout: seconds))
                }
            }
            if case .failed(let why) = result {
                failure = "step \(step): \(path) \(why)"
                break
            }
        }
        let outcome = secrets.finish(job, failure: failure)
        switch outcome {
        case .succeeded: report(job, "RotationSucceeded", outcome: outcome)
        case .failed: report(job, "RotationFailed", outcome: outcome)
        case .abandoned: report(job, "RotationAbandoned", outcome: outcome)
        }
    }

    /// The event Lambda gives a rotation function.
    static func event(step: String, job: RotationJob) -> [UInt8] {
        let fields = ["Step": step, "SecretId": job.arn, "ClientRequestToken": job.token, "RotationToken": job.token]
        return Array((try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data())
    }

    private func report(_ job: RotationJob, _ event: String, outcome: RotationOutcome?) {
        var metadata: Logger.Metadata = [
            "secret": "\(job.address.name)", "version": "\(job.token)", "handler": "\(job.lambdaARN)",
            "scope": "\(job.address.scope)",
        ]
        if case .failed(let why) = outcome {
            metadata["reason"] = "\(why)"
            logger.error("secret rotation failed", metadata: metadata)
        } else {
            logger.notice("secret rotation: \(event)", metadata: metadata)
        }
        if outcome != nil { metrics?.rotations[event]?.increment() }
        guard let audit else { return }
        var context = RequestContext(
            region: job.address.scope.region, accountID: job.address.scope.account, principal: .daemon,
            action: Action("secretsmanager:\(event)", audited: true))
        let trail = AuditTrail()
        context.trail = trail
        do {
            try context.authorize([job.address.name])
            let succeeded = outcome == nil || outcome == .succeeded
            try audit.record(context, trail: trail, result: succeeded ? "allowed" : "failed:\(event)")
        } catch {
            metrics?.auditWriteFailures.increment()
            logger.error(
                "the audit record of a rotation could not be written",
                metadata: ["event": "\(event)", "secret": "\(job.address.name)"])
        }
    }
}
