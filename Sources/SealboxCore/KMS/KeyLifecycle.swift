import SealboxCrypto

// The changes to a key's life after it is made: description, enabled state, deletion, rotation.
// Each checks the policy on the key, applies its rule to a copy under the writer lock, stores the
// copy and only then publishes it (``mutate(_:_:_:)``).
extension KMS {
    /// Sets a key's description.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - description: the new description.
    ///   - context: the caller.
    package func updateDescription(of reference: String, to description: String, context: RequestContext)
        throws(SealboxError)
    {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            stored.record.description = description
        }
    }

    /// Enables or disables a customer managed key.
    /// - Parameters:
    ///   - enabled: the new state.
    ///   - reference: the key id or key ARN.
    ///   - context: the caller.
    package func setEnabled(_ enabled: Bool, key reference: String, context: RequestContext) throws(SealboxError) {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            if state(of: key) == .pendingImport {
                throw SealboxError.invalidState("\(key.arn(context)) is pending import.")
            }
            stored.record.state = enabled ? .enabled : .disabled
        }
    }

    /// Schedules a customer managed key's deletion `days` from now.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - days: the waiting period.
    ///   - context: the caller.
    /// - Returns: the key, pending deletion.
    @discardableResult
    package func scheduleDeletion(of reference: String, inDays days: Int, context: RequestContext)
        throws(SealboxError) -> LiveKey
    {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            stored.record.pendingWindowInDays = days
            // A primary key waits for its replicas: its window starts when the last one is deleted.
            if let set = key.record.multiRegion, !set.replicaRegions.isEmpty, key.isPrimary {
                stored.record.state = .pendingReplicaDeletion
                return
            }
            stored.record.state = .pendingDeletion
            stored.record.deletionDate = clock.now() + Double(days) * 86_400
        }
    }

    /// Cancels a key's scheduled deletion; the key is left disabled, as in AWS.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - context: the caller.
    /// - Returns: the key.
    @discardableResult
    package func cancelDeletion(of reference: String, context: RequestContext) throws(SealboxError) -> LiveKey {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            guard key.record.state.isPendingDeletion else {
                throw SealboxError.invalidState("\(key.arn(context)) is not pending deletion.")
            }
            // An imported key without material goes back to waiting for it.
            stored.record.state = key.versions.isEmpty && key.record.origin == .external ? .pendingImport : .disabled
            stored.record.deletionDate = nil
            stored.record.pendingWindowInDays = nil
        }
    }

    /// Turns automatic rotation on, every `days` from now.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - days: the rotation period.
    ///   - context: the caller.
    package func enableRotation(of reference: String, everyDays days: Int, context: RequestContext)
        throws(SealboxError)
    {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireRotatable(key, context)
            try requireUsable(key, context)
            try requireCustomerManaged(key, context)
            stored.record.rotationEnabled = true
            stored.record.rotationPeriodInDays = days
            stored.record.rotationAnchor = clock.now()
        }
    }

    /// Turns automatic rotation off.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - context: the caller.
    package func disableRotation(of reference: String, context: RequestContext) throws(SealboxError) {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireRotatable(key, context)
            try requireUsable(key, context)
            try requireCustomerManaged(key, context)
            stored.record.rotationEnabled = false
            stored.record.rotationPeriodInDays = nil
            stored.record.rotationAnchor = nil
        }
    }

    /// Adds a new version of the key's material now, up to ``maxOnDemandRotations`` times.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - context: the caller.
    /// - Returns: the key with its new version.
    @discardableResult
    package func rotateOnDemand(_ reference: String, context: RequestContext) throws(SealboxError) -> LiveKey {
        try mutate(reference, context) { (stored, key) throws(SealboxError) in
            try requireRotatable(key, context)
            try requireUsable(key, context)
            try requireCustomerManaged(key, context)
            guard stored.record.onDemandRotations < KMS.maxOnDemandRotations else {
                throw SealboxError.limitExceeded(
                    "\(key.arn(context)) has reached the limit of \(KMS.maxOnDemandRotations) on-demand rotations.")
            }
            stored.versions.append(
                try newVersion(for: key.id, number: key.currentVersion + 1, type: .onDemand, spec: key.record.spec))
            stored.record.onDemandRotations += 1
        }
    }

    /// Fails for all but symmetric encryption keys: AWS rotates no HMAC or asymmetric key. A
    /// multi-Region replica rotates with its primary only.
    package func requireRotatable(_ key: LiveKey, _ context: RequestContext) throws(SealboxError) {
        if let set = key.record.multiRegion, !key.isPrimary {
            throw SealboxError.unsupportedOperation(
                "\(key.arn(context)) is a multi-Region replica key; change its rotation through the primary key in \(set.primaryRegion)."
            )
        }
        if key.record.spec != .symmetricDefault {
            throw SealboxError.unsupportedOperation(
                "\(key.arn(context)) is a \(key.record.spec.rawValue) key; only symmetric encryption keys rotate.")
        }
        if key.record.origin == .external {
            throw SealboxError.unsupportedOperation(
                "\(key.arn(context)) has imported key material; Sealbox does not rotate imported keys.")
        }
    }

    /// Fails for a key AWS manages (`alias/aws/...`): only its owner's service changes it.
    package func requireCustomerManaged(_ key: LiveKey, _ context: RequestContext) throws(SealboxError) {
        if key.record.manager == .aws {
            throw SealboxError.unsupportedOperation("\(key.arn(context)) is an AWS managed key; it cannot be changed.")
        }
    }
}
