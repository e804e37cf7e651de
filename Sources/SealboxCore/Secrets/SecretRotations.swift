/// One rotation to run: the four steps of a secret's handler for one new version.
public struct RotationJob: Sendable, Hashable {
    /// The secret, and the ARN it had when the rotation started (a secret deleted and made again
    /// under the same name is another secret).
    public let address: Scoped<String>
    public let arn: String
    /// The new version's id, the event's `ClientRequestToken`.
    public let token: String
    /// The secret's `RotationLambdaARN`.
    public let lambdaARN: String
}

/// How a rotation ended.
public enum RotationOutcome: Sendable, Equatable {
    case succeeded
    /// A step failed, or the handler left AWSCURRENT where it was; AWSCURRENT did not move.
    case failed(String)
    /// The secret was deleted, or its rotation cancelled, while the rotation ran.
    case abandoned
}

// Rotation as Secrets Manager runs it: RotateSecret records the handler and the schedule, and makes
// the new version with AWSPENDING and no value; the handler's four steps fill it, test it and move
// AWSCURRENT onto it. The daemon (RotationService) runs the steps; these keep the secret's state.
extension SecretsManager {
    /// Turns rotation on (or changes it) and, when `immediately`, starts a rotation now.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - token: the new version's id; a new UUID when nil.
    ///   - lambdaARN: the handler; the secret's current one when nil.
    ///   - schedule: the `RotationRules`; the current ones when nil.
    ///   - immediately: whether to rotate now, or wait for the schedule.
    ///   - context: the caller.
    /// - Returns: the secret, and the new version's id when a rotation started.
    package func rotate(
        _ id: String, token: String?, lambdaARN: String?, schedule: RotationSchedule?, immediately: Bool,
        context: RequestContext
    ) throws(SealboxError) -> (secret: StoredSecret, versionID: String?) {
        _ = try existing(id, context)
        let (secret, job) = try withWriter { () throws(SealboxError) -> (StoredSecret, RotationJob?) in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
            guard let handler = lambdaARN ?? secret.metadata.rotation?.lambdaARN else {
                throw SealboxError.invalidRequest("No Lambda rotation function ARN is associated with this secret.")
            }
            guard rotationHandlers.withLock({ $0[handler] }) != nil else {
                throw SealboxError.accessDenied(
                    "Secrets Manager cannot invoke the specified Lambda function: the daemon's config maps no executable to \(handler) (rotation.handlers)."
                )
            }
            let now = clock.now()
            let rules = schedule ?? secret.metadata.rotation?.schedule
            var rotation = SecretRotation(
                enabled: true, lambdaARN: handler, schedule: rules, lastRotated: secret.metadata.rotation?.lastRotated)
            rotation.nextRotation = rules?.next(after: rotation.lastRotated ?? now)
            secret.metadata.rotation = rotation
            secret.metadata.lastChanged = now
            var job: RotationJob? = nil
            if immediately {
                job = try startRotation(of: &secret, token: token, now: now)
            } else {
                try commit(SecretChange(secret: secret, writtenVersions: []))
            }
            return (secret, job)
        }
        scheduleChangesContinuation.yield()
        if let job { rotationJobsContinuation.yield(job) }
        return (secret, job?.token)
    }

    /// Makes the version a rotation fills (no value, AWSPENDING), or takes up the unfinished one a
    /// failed rotation left, and commits. The caller holds the writer lock.
    private func startRotation(of secret: inout StoredSecret, token: String?, now: Double) throws(SealboxError)
        -> RotationJob
    {
        guard rotating.withLock({ !$0.contains(secret.address) }) else {
            throw SealboxError.invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")
        }
        let unfinished = secret.version(staged: Self.pending).flatMap { $0.stages.contains(Self.current) ? nil : $0 }
        let versionID = unfinished?.id ?? token ?? Self.newVersionID()
        var written: [String] = []
        var removed: [String] = []
        if unfinished == nil {
            guard !secret.versions.contains(where: { $0.id == versionID }) else {
                throw SealboxError.invalidRequest(
                    "A version with the ClientRequestToken \(versionID) already exists; rotation needs a new one.")
            }
            secret.versions.append(SecretVersion(id: versionID, stages: [], created: now, binary: false, value: []))
            Self.move([Self.pending], to: versionID, in: &secret)
            removed = Self.prune(&secret)
            written = secret.versions.map(\.id)
        }
        try commit(SecretChange(secret: secret, writtenVersions: written, removedVersions: removed))
        rotating.withLock { _ = $0.insert(secret.address) }
        return RotationJob(
            address: secret.address, arn: secret.metadata.arn, token: versionID,
            lambdaARN: secret.metadata.rotation!.lambdaARN)
    }

    /// Turns rotation off. A running rotation stops before its next step.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - context: the caller.
    /// - Returns: the secret, and the version an unfinished rotation made, if any.
    package func cancelRotation(_ id: String, context: RequestContext) throws(SealboxError)
        -> (secret: StoredSecret, versionID: String?)
    {
        _ = try existing(id, context)
        return try withWriter { () throws(SealboxError) -> (secret: StoredSecret, versionID: String?) in
            guard var secret = self.secret(id, context) else { throw Self.notFound }
            guard secret.metadata.deletionDate == nil else { throw Self.markedForDeletion }
            guard secret.metadata.rotation?.enabled == true else {
                throw SealboxError.invalidRequest("Secrets Manager can't cancel rotation: rotation isn't enabled.")
            }
            secret.metadata.rotation?.enabled = false
            secret.metadata.rotation?.nextRotation = nil
            secret.metadata.lastChanged = clock.now()
            try commit(SecretChange(secret: secret, writtenVersions: []))
            let unfinished = secret.version(staged: Self.pending).flatMap {
                $0.stages.contains(Self.current) ? nil : $0
            }
            return (secret, unfinished?.id)
        }
    }

    /// Whether a running rotation should take its next step: its secret is still there, not
    /// scheduled for deletion, and still rotated.
    /// - Parameter job: the rotation.
    public func isWanted(_ job: RotationJob) -> Bool {
        guard let secret = secrets[job.address], secret.metadata.arn == job.arn else { return false }
        return secret.metadata.deletionDate == nil && secret.metadata.rotation?.enabled == true
    }

    /// Records how a rotation ended. Success needs AWSCURRENT on the new version (the handler's
    /// `finishSecret` moves it); it sets `LastRotatedDate` and plans the next rotation.
    /// - Parameters:
    ///   - job: the rotation.
    ///   - failure: why a step failed; nil when all four succeeded.
    /// - Returns: the outcome.
    @discardableResult
    public func finish(_ job: RotationJob, failure: String?) -> RotationOutcome {
        defer {
            rotating.withLock { _ = $0.remove(job.address) }
            scheduleChangesContinuation.yield()
        }
        do {
            return try withWriter { () throws(SealboxError) -> RotationOutcome in
                guard var secret = secrets[job.address], secret.metadata.arn == job.arn,
                    secret.metadata.rotation != nil, isWanted(job)
                else { return .abandoned }
                let now = clock.now()
                var outcome = RotationOutcome.succeeded
                if let failure {
                    outcome = .failed(failure)
                } else if secret.version(staged: Self.current)?.id != job.token {
                    outcome = .failed("the finishSecret step did not move AWSCURRENT to version \(job.token)")
                } else {
                    secret.metadata.rotation?.lastRotated = now
                }
                // A failure is tried again at the next window, not in a loop.
                let next = secret.metadata.rotation?.schedule?.next(after: now)
                secret.metadata.rotation?.nextRotation = next
                try commit(SecretChange(secret: secret, writtenVersions: []))
                return outcome
            }
        } catch {
            return .failed("the outcome could not be recorded: \(error.message)")
        }
    }

    /// When the next scheduled rotation is due, if any.
    public func nextRotationDue() -> Double? {
        let running = rotating.withLock { $0 }
        return secrets.values.compactMap { secret in
            guard !running.contains(secret.address), secret.metadata.deletionDate == nil else { return nil }
            return secret.metadata.rotation.flatMap { $0.enabled ? $0.nextRotation : nil }
                .flatMap { isLeftToOthers(secret.address, at: $0) ? nil : $0 }
        }.min()
    }

    private func isLeftToOthers(_ address: Scoped<String>, at window: Double) -> Bool {
        leftToOtherHosts.withLock { $0[address] == window }
    }

    /// Starts every rotation whose window has opened and that is not already running; the jobs go
    /// to ``rotationJobs``.
    /// - Parameter now: the time.
    /// - Returns: the rotations started.
    @discardableResult
    public func startDueRotations(now: Double) -> [RotationJob] {
        let due = secrets.values.filter { secret in
            let window = secret.metadata.rotation?.nextRotation ?? .infinity
            return secret.metadata.deletionDate == nil && secret.metadata.rotation?.enabled == true && window <= now
                && !isLeftToOthers(secret.address, at: window)
        }.map(\.address)
        var started: [RotationJob] = []
        for address in due {
            let job = try? withWriter { () throws(SealboxError) -> RotationJob? in
                guard var secret = secrets[address], let rotation = secret.metadata.rotation, rotation.enabled,
                    rotating.withLock({ !$0.contains(address) })
                else { return nil }
                guard handlerPath(for: rotation.lambdaARN) != nil else {
                    // Another daemon sharing the store may have the handler: leave the window to it.
                    if store is any SharedStore, let window = rotation.nextRotation {
                        leftToOtherHosts.withLock { $0[address] = window }
                        return nil
                    }
                    // No handler to run (the config changed): this window is skipped, not retried in a loop.
                    secret.metadata.rotation?.nextRotation = rotation.schedule?.next(after: now)
                    try commit(SecretChange(secret: secret, writtenVersions: []))
                    return nil
                }
                return try startRotation(of: &secret, token: nil, now: now)
            }
            if let job {
                started.append(job)
                rotationJobsContinuation.yield(job)
            }
        }
        return started
    }

    /// Replaces the map from `RotationLambdaARN` to the executable that stands in for it.
    /// - Parameter handlers: the config's `rotation.handlers`.
    public func setRotationHandlers(_ handlers: [String: String]) {
        rotationHandlers.withLock { $0 = handlers }
    }

    /// The executable the config maps a `RotationLambdaARN` to.
    /// - Parameter lambdaARN: the ARN.
    public func handlerPath(for lambdaARN: String) -> String? {
        rotationHandlers.withLock { $0[lambdaARN] }
    }
}
