// When parameter policies act: the scheduler (a service of the daemon) sleeps until the earliest
// due time and calls ``SSM/applyDuePolicies(now:)``, which acts under the writer lock.
extension SSM {
    /// The earliest time a pending policy acts; nil when none is pending.
    package func nextPolicyDue() -> Double? {
        var earliest: Double? = nil
        for address in policyNames.withLock({ Array($0) }) {
            guard let latest = parameters[address]?.versions.last else { continue }
            for policy in latest.policies {
                guard let due = policy.due(among: latest.policies, modified: latest.modified) else { continue }
                earliest = min(earliest ?? due, due)
            }
        }
        return earliest
    }

    /// Acts on every policy due at `now`: deletes expired parameters, and marks notifications sent
    /// (durably, so a restart does not send them again). Notifications due with an expiration are
    /// reported before it.
    /// - Parameter now: the time, in seconds since the epoch.
    /// - Returns: what acted, by scope and then name.
    public func applyDuePolicies(now: Double) throws(SealboxError) -> [ParameterPolicyEvent] {
        try withWriter { () throws(SealboxError) -> [ParameterPolicyEvent] in
            var events: [ParameterPolicyEvent] = []
            var changes: [ParameterChange] = []
            let due = policyNames.withLock { Array($0) }.sorted {
                ($0.scope.account, $0.scope.region, $0.name) < ($1.scope.account, $1.scope.region, $1.name)
            }
            for address in due {
                guard var parameter = parameters[address], let latest = parameter.versions.last else { continue }
                let name = address.name
                var policies = latest.policies
                let due = policies.indices.filter { index in
                    policies[index].due(among: policies, modified: latest.modified).map { $0 <= now } ?? false
                }
                guard !due.isEmpty else { continue }
                let expires = due.contains { policies[$0].kind == .expiration }
                for index in due where policies[index].kind != .expiration {
                    policies[index].fired = true
                    events.append(
                        ParameterPolicyEvent(
                            name: name, scope: address.scope, kind: policies[index].kind, version: latest.version))
                }
                if expires {
                    events.append(
                        ParameterPolicyEvent(
                            name: name, scope: address.scope, kind: .expiration, version: latest.version))
                    changes.append(ParameterChange(parameter: nil, writtenVersions: [], deleted: [address]))
                } else {
                    parameter.versions[parameter.versions.count - 1].policies = policies
                    changes.append(ParameterChange(parameter: parameter, writtenVersions: [latest.version]))
                }
            }
            if !changes.isEmpty { try commit(changes) }
            return events
        }
    }
}

extension ParameterVersionRecord {
    /// When an Expiration policy deletes the parameter, if the version has one.
    public var expiration: Double? { policies.first { $0.kind == .expiration }?.seconds }
}
