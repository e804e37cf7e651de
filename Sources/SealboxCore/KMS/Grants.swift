import SealboxCrypto

/// What CreateGrant asks for, once the wire layer has checked it against the model and the
/// principals' form.
package struct GrantRequest: Sendable {
    package var key: String
    package var grantee: String
    package var retiring: String?
    package var operations: [GrantOperation]
    package var constraint: GrantConstraint?
    package var name: String?

    /// - Parameters:
    ///   - key: the key id or key ARN.
    ///   - grantee: the grantee principal.
    ///   - retiring: the retiring principal, if any.
    ///   - operations: the operations, each once.
    ///   - constraint: the encryption context constraint, if any.
    ///   - name: the grant's name, if any.
    package init(
        key: String, grantee: String, retiring: String?, operations: [GrantOperation], constraint: GrantConstraint?,
        name: String?
    ) {
        self.key = key
        self.grantee = grantee
        self.retiring = retiring
        self.operations = operations
        self.constraint = constraint
        self.name = name
    }
}

// Grants: each lets its grantee use one key for some operations, as AWS KMS grants do. They are
// stored first, then published in per-key snapshots that ``authorize(_:_:as:encryptionContext:)``
// reads when the policy refuses a request. Every change runs under the writer lock; with
// `commit: false` (DryRun) it checks everything and changes nothing.
extension KMS {
    /// Most grants one key may have, as AWS's quota.
    public static let maxGrantsPerKey = 50_000

    /// Adds a grant to the in-memory indexes; the caller holds the writer lock (or is loading).
    func index(_ grant: GrantRecord) {
        grants.update(grant.key) { list in list = (list ?? []) + [grant] }
        grantKeys[grant.id] = grant.key
    }

    /// The first grant on the key that lets this caller do `operation` under this encryption
    /// context, and meets `condition`.
    /// - Parameters:
    ///   - operation: the operation.
    ///   - key: the key.
    ///   - context: the caller.
    ///   - encryptionContext: the request's; a constraint applies only to operations that take one.
    ///   - condition: anything else the grant must meet.
    package func grant(
        allowing operation: GrantOperation,
        on key: KeyAddress,
        _ context: RequestContext,
        encryptionContext: [String: String]?,
        where condition: (GrantRecord) -> Bool = { _ in true }
    ) -> GrantRecord? {
        grants[key]?.first { grant in
            grant.operations.contains(operation) && context.authorization.isCaller(grant.grantee)
                && (!operation.takesEncryptionContext
                    || grant.constraint?.isSatisfied(by: encryptionContext ?? [:]) ?? true)
                && condition(grant)
        }
    }

    /// Creates a grant, or finds the one a retry with the same name and parameters made before.
    ///
    /// The caller needs `kms:CreateGrant` on the key by policy, or a grant allowing CreateGrant whose
    /// operations include every requested one and whose constraint the new one is at least as strict as.
    /// - Parameters:
    ///   - request: the grant asked for.
    ///   - context: the caller.
    ///   - commit: false to check everything and store nothing (DryRun).
    /// - Returns: the grant (not stored when `commit` is false, unless it existed).
    package func createGrant(_ request: GrantRequest, context: RequestContext, commit: Bool) throws(SealboxError)
        -> GrantRecord
    {
        try withWriter { () throws(SealboxError) -> GrantRecord in
            let key = try resolve(request.key, context, allowAlias: false)
            let arn = key.arn(context)
            if policyAllows(key, arn, context) {
                context.trail?.add(arn)
            } else if let parent = grant(
                allowing: .createGrant, on: key.address, context, encryptionContext: nil,
                where: { parent in
                    request.operations.allSatisfy(parent.operations.contains)
                        && GrantConstraint.isAtLeastAsStrict(request.constraint, as: parent.constraint)
                })
            {
                context.trail?.add(arn)
                context.trail?.add("grant:\(parent.id)")
            } else {
                try context.authorize([arn])
            }
            try requireUsable(key, context)
            try checkGrant(request, for: key, context)
            let requested = GrantRecord(
                id: GrantRecord.newID(), key: key.address, name: request.name, created: clock.now(),
                grantee: request.grantee, retiring: request.retiring, operations: request.operations,
                constraint: request.constraint)
            let existing = grants[key.address] ?? []
            if let earlier = existing.first(where: { $0.isRetry(of: requested) }) { return earlier }
            guard existing.count < Self.maxGrantsPerKey else {
                throw SealboxError.limitExceeded("\(arn) already has \(Self.maxGrantsPerKey) grants.")
            }
            guard commit else { return requested }
            do { try store.saveGrant(requested) } catch {
                throw SealboxError.store(error, otherwise: .keyServiceFailure("The grant could not be stored"))
            }
            index(requested)
            return requested
        }
    }

    /// AWS's rules for a grant's operations and constraint on this key.
    private func checkGrant(_ request: GrantRequest, for key: LiveKey, _ context: RequestContext) throws(SealboxError) {
        let spec = key.record.spec
        let usage = key.record.usage
        let unsupported = request.operations.filter { !$0.isSupported(by: spec, usage) }
        if !unsupported.isEmpty {
            throw SealboxError.validation(
                "Grant operations \(unsupported.map(\.rawValue).joined(separator: ", ")) are not valid for \(key.arn(context)): its KeySpec is \(spec.rawValue) and its KeyUsage \(usage.rawValue)."
            )
        }
        if request.operations == [.createGrant] {
            throw SealboxError.validation("Grants must not contain only the CreateGrant operation.")
        }
        if let constraint = request.constraint {
            // Only symmetric encryption keys take an encryption context.
            guard spec == .symmetricDefault, request.operations.allSatisfy(\.allowsConstraint) else {
                throw SealboxError.validation(
                    "Encryption context grant constraints are allowed only for operations that take an encryption context, on symmetric encryption keys."
                )
            }
            if let violation = constraint.violation { throw SealboxError.validation(violation) }
        }
    }

    /// The grants on a key, oldest first; needs `kms:ListGrants` on the key by policy. Keys in any
    /// state are listed.
    /// - Parameters:
    ///   - reference: the key id or key ARN.
    ///   - context: the caller.
    package func listGrants(of reference: String, context: RequestContext) throws(SealboxError) -> (
        key: LiveKey, grants: [GrantRecord]
    ) {
        let key = try resolve(reference, context, allowAlias: false)
        try authorize(key, context)
        return (key, grants[key.address] ?? [])
    }

    /// Every grant whose retiring principal is `principal`, on keys that still exist, oldest first;
    /// needs `kms:ListRetirableGrants` on the principal by policy, as AWS authorizes it.
    /// - Parameters:
    ///   - principal: the retiring principal, exactly as grants name it.
    ///   - context: the caller.
    package func listRetirableGrants(of principal: String, context: RequestContext) throws(SealboxError)
        -> [GrantRecord]
    {
        try context.authorize([principal])
        return grants.values.flatMap { list in
            list.filter { $0.retiring == principal && $0.key.scope == context.scope && present($0.key) != nil }
        }
        .sorted { ($0.created, $0.id) < ($1.created, $1.id) }
    }

    /// Deletes a grant named by its token, or by its key and id. The retiring principal may retire
    /// it, and the grantee if the grant lists RetireGrant; others need `kms:RetireGrant` on the key by
    /// policy (AWS's account-level delegation).
    /// - Parameters:
    ///   - token: a grant token, if the request has one.
    ///   - reference: the key id or key ARN, with `grantID`.
    ///   - grantID: the grant id.
    ///   - context: the caller.
    ///   - commit: false to check everything and delete nothing (DryRun).
    /// - Returns: the grant.
    @discardableResult
    package func retireGrant(
        token: String?, key reference: String?, grantID: String?, context: RequestContext, commit: Bool
    ) throws(SealboxError) -> GrantRecord {
        try withWriter { () throws(SealboxError) -> GrantRecord in
            let id: String
            if let token {
                guard let named = GrantToken.grantID(of: token) else {
                    throw SealboxError.invalidGrantToken("The grant token is not valid.")
                }
                if let grantID, grantID.lowercased() != named {
                    throw SealboxError.invalidGrantId("The grant ID does not name the grant the token names.")
                }
                id = named
            } else {
                guard let grantID, reference != nil else {
                    throw SealboxError.validation("Specify a GrantToken, or both a KeyId and a GrantId.")
                }
                id = try Self.wellFormed(grantID)
            }
            let (key, grant) = try find(id, key: reference, context)
            let arn = key.arn(context)
            context.trail?.add(arn)
            let mayRetire =
                policyAllows(key, arn, context) || grant.retiring.map(context.authorization.isCaller) == true
                || (grant.operations.contains(.retireGrant) && context.authorization.isCaller(grant.grantee))
            if !mayRetire { try context.authorize([arn]) }
            context.trail?.add("grant:\(grant.id)")
            if commit { try remove(grant) }
            return grant
        }
    }

    /// Deletes a grant; needs `kms:RevokeGrant` on the key by policy.
    /// - Parameters:
    ///   - grantID: the grant id.
    ///   - reference: the key id or key ARN.
    ///   - context: the caller.
    ///   - commit: false to check everything and delete nothing (DryRun).
    /// - Returns: the grant.
    @discardableResult
    package func revokeGrant(_ grantID: String, key reference: String, context: RequestContext, commit: Bool)
        throws(SealboxError) -> GrantRecord
    {
        try withWriter { () throws(SealboxError) -> GrantRecord in
            let id = try Self.wellFormed(grantID)
            let key = try resolve(reference, context, allowAlias: false)
            try authorize(key, context)
            guard let grant = grants[key.address]?.first(where: { $0.id == id }) else {
                throw SealboxError.notFound("Grant ID \(id) not found")
            }
            context.trail?.add("grant:\(grant.id)")
            if commit { try remove(grant) }
            return grant
        }
    }

    /// The grant id in the form grants are stored under; a malformed one is `InvalidGrantIdException`.
    /// - Parameter text: the id as the request gives it.
    package static func wellFormed(_ text: String) throws(SealboxError) -> String {
        guard GrantRecord.isWellFormedID(text) else {
            throw SealboxError.invalidGrantId("Invalid grant ID \(text): a grant ID is 64 hexadecimal digits.")
        }
        return text.lowercased()
    }

    /// The grant with this id and its key, which must be `reference`'s when one is given.
    private func find(_ id: String, key reference: String?, _ context: RequestContext) throws(SealboxError) -> (
        LiveKey, GrantRecord
    ) {
        let named = try reference.map { (reference) throws(SealboxError) in
            try resolve(reference, context, allowAlias: false)
        }
        guard let address = grantKeys[id], address.scope == context.scope, named == nil || named?.address == address,
            let key = named ?? present(address), let grant = grants[address]?.first(where: { $0.id == id })
        else {
            throw SealboxError.notFound("Grant ID \(id) not found")
        }
        return (key, grant)
    }

    /// Deletes a grant from the store, then from the indexes; the caller holds the writer lock.
    private func remove(_ grant: GrantRecord) throws(SealboxError) {
        do { try store.deleteGrant(grant.id) } catch {
            throw SealboxError.store(error, otherwise: .keyServiceFailure("The grant could not be deleted"))
        }
        grants.update(grant.key) { list in
            list?.removeAll { $0.id == grant.id }
            if list?.isEmpty == true { list = nil }
        }
        grantKeys[grant.id] = nil
    }
}
