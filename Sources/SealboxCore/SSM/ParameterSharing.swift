// Sharing parameters with other accounts through resource policies. The owner puts, lists and
// deletes the policies; a caller of a granted account reads the parameter by its full ARN in the
// same region, as AWS allows.
extension SSM {
    /// Most resource policies one parameter carries.
    package static let maxResourcePolicies = 10

    /// The parameter `name` of the caller's own account, for its resource policies.
    private func owned(_ name: String, _ context: RequestContext) throws(SealboxError) -> StoredParameter {
        guard let parameter = parameter(named: name, in: context.scope) else {
            throw SealboxError.resourceNotFound("The parameter \(name) doesn't exist in this account and Region.")
        }
        return parameter
    }

    /// Adds a resource policy to a parameter, or replaces the one with `id` when its hash is still
    /// `expectedHash`.
    /// - Parameters:
    ///   - policy: the policy, with a new id and hash when it is added.
    ///   - name: the parameter's name.
    ///   - replacing: the id of the policy replaced and the hash the caller read; nil to add one.
    ///   - context: the caller, the parameter's owner.
    /// - Returns: the policy as stored.
    package func putResourcePolicy(
        _ policy: ParameterResourcePolicy, on name: String, replacing: (id: String, hash: String?)?,
        context: RequestContext
    ) throws(SealboxError) -> ParameterResourcePolicy {
        try withWriter { () throws(SealboxError) -> ParameterResourcePolicy in
            var parameter = try owned(name, context)
            var policy = policy
            if let replacing {
                guard let index = parameter.resourcePolicies.firstIndex(where: { $0.id == replacing.id }) else {
                    throw SealboxError.resourcePolicyNotFound("No resource policy with the id \(replacing.id).")
                }
                guard replacing.hash == parameter.resourcePolicies[index].hash else {
                    throw SealboxError.resourcePolicyConflict(
                        "The policy hash does not match the current policy's: it changed since it was read.")
                }
                policy.id = replacing.id
                parameter.resourcePolicies[index] = policy
            } else {
                guard parameter.resourcePolicies.count < Self.maxResourcePolicies else {
                    throw SealboxError.resourcePolicyLimitExceeded(
                        "A parameter can have at most \(Self.maxResourcePolicies) resource policies.")
                }
                parameter.resourcePolicies.append(policy)
            }
            try commit(ParameterChange(parameter: parameter, writtenVersions: []))
            return policy
        }
    }

    /// Deletes a resource policy whose hash is still the one the caller read.
    /// - Parameters:
    ///   - id: the policy's id.
    ///   - hash: the hash the caller read.
    ///   - name: the parameter's name.
    ///   - context: the caller, the parameter's owner.
    package func deleteResourcePolicy(_ id: String, hash: String, on name: String, context: RequestContext)
        throws(SealboxError)
    {
        try withWriter { () throws(SealboxError) in
            var parameter = try owned(name, context)
            guard let index = parameter.resourcePolicies.firstIndex(where: { $0.id == id }) else {
                throw SealboxError.resourcePolicyNotFound("No resource policy with the id \(id).")
            }
            guard parameter.resourcePolicies[index].hash == hash else {
                throw SealboxError.resourcePolicyConflict(
                    "The policy hash does not match the current policy's: it changed since it was read.")
            }
            parameter.resourcePolicies.remove(at: index)
            try commit(ParameterChange(parameter: parameter, writtenVersions: []))
        }
    }

    /// A parameter's resource policies.
    /// - Parameters:
    ///   - name: the parameter's name.
    ///   - context: the caller, the parameter's owner.
    package func resourcePolicies(of name: String, context: RequestContext) throws(SealboxError)
        -> [ParameterResourcePolicy]
    {
        try owned(name, context).resourcePolicies
    }

    /// The parameter another account shares with the caller through a resource policy that grants
    /// the request's action; nil when there is none or it is not shared with the caller.
    /// - Parameters:
    ///   - name: the parameter's name.
    ///   - owner: the account and region its ARN names; the region must be the caller's.
    ///   - context: the caller.
    package func shared(_ name: String, owner: Scope, _ context: RequestContext) -> StoredParameter? {
        guard owner.region == context.region, owner.account != context.accountID, !owner.account.isEmpty,
            let parameter = parameter(named: name, in: owner),
            parameter.resourcePolicies.contains(where: {
                $0.allows(account: context.accountID, action: context.action.name)
            })
        else { return nil }
        return parameter
    }

    /// The parameters of other accounts in the caller's region that a resource policy shares with
    /// it, for DescribeParameters' `Shared`.
    /// - Parameter context: the caller.
    package func sharedWith(_ context: RequestContext) -> [StoredParameter] {
        sharedAddresses.withLock { Array($0) }
            .filter { $0.scope.region == context.region && $0.scope.account != context.accountID }
            .compactMap { parameter(named: $0.name, in: $0.scope) }
            .filter { $0.resourcePolicies.contains { $0.accounts.contains(context.accountID) } }
    }
}
