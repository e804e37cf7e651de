import Logging
import SealboxCore
import ServiceLifecycle

/// Acts on parameter policies at their time, to the millisecond rather than the maintenance
/// interval: an Expiration deletes its parameter, a notification (which AWS sends to EventBridge)
/// is recorded. Each action goes to the audit log, the structured log and the metrics.
public struct ParameterPolicyService: Service {
    private let ssm: SSM
    private let audit: AuditLog?
    private let metrics: ServerMetrics?
    private let logger: Logger

    /// - Parameters:
    ///   - ssm: the parameter store whose policies act.
    ///   - audit: where each action is recorded, if there is an audit log.
    ///   - metrics: counts the actions by type, if kept.
    ///   - logger: reports each action.
    public init(ssm: SSM, audit: AuditLog?, metrics: ServerMetrics? = nil, logger: Logger) {
        self.ssm = ssm
        self.audit = audit
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                // One timer for the earliest due time; a change that brings it forward adds another,
                // and each timer that ends wakes this loop to plan the next.
                var planned: Double? = nil
                for await _ in ssm.policyChanges {
                    if let at = planned, at <= ssm.clock.now() { planned = nil }
                    guard let due = ssm.nextPolicyDue(), planned.map({ due < $0 }) ?? true else { continue }
                    planned = due
                    group.addTask { await act(at: due) }
                }
            }
        }
    }

    private func act(at due: Double) async {
        do {
            // The wall clock decides; a sleep can end a little early.
            var wait = due - ssm.clock.now()
            while wait > 0 {
                try await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
                wait = due - ssm.clock.now()
            }
            let events = try ssm.applyDuePolicies(now: ssm.clock.now())
            for event in events { report(event) }
        } catch is CancellationError {
            return
        } catch {
            logger.error("parameter policies could not be applied", metadata: ["error": "\(error)"])
            try? await Task.sleep(for: .seconds(1))
        }
        ssm.wakePolicyScheduler()
    }

    private func report(_ event: ParameterPolicyEvent) {
        logger.notice(
            "parameter policy acted",
            metadata: [
                "policy": "\(event.kind.rawValue)", "parameter": "\(event.name)", "version": "\(event.version)",
                "scope": "\(event.scope)",
            ])
        metrics?.parameterPolicyActions[event.kind]?.increment()
        guard let audit else { return }
        var context = RequestContext(
            region: event.scope.region, accountID: event.scope.account, principal: .daemon,
            action: Action("ssm:\(event.kind.rawValue)", audited: true))
        let trail = AuditTrail()
        context.trail = trail
        do {
            try context.authorize([event.name])
            try audit.record(context, trail: trail, result: "allowed")
        } catch {
            metrics?.auditWriteFailures.increment()
            logger.error(
                "the audit record of a parameter policy could not be written",
                metadata: ["policy": "\(event.kind.rawValue)", "parameter": "\(event.name)"])
        }
    }
}
