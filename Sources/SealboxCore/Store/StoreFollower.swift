/// Applies changes other daemons made in a shared store to what this daemon serves from memory.
public struct StoreFollower: Sendable {
    let kms: KMS
    let ssm: SSM
    let secrets: SecretsManager?
    let leases: LeaseService

    /// - Parameters:
    ///   - kms: the keys, aliases and grants.
    ///   - ssm: the parameters and service settings.
    ///   - secrets: the Secrets Manager secrets, if served.
    ///   - leases: this host's leases, which revocations by prefix reach.
    public init(kms: KMS, ssm: SSM, secrets: SecretsManager?, leases: LeaseService) {
        self.kms = kms
        self.ssm = ssm
        self.secrets = secrets
        self.leases = leases
    }

    /// Loads the changed thing again, or acts on the change.
    /// - Parameter change: a change another daemon committed.
    public func apply(_ change: StoreChange) throws {
        switch change {
        case .parameter(let address): try ssm.refresh(parameter: address)
        case .serviceSetting: try ssm.refreshServiceSettings()
        case .secret(let address): try secrets?.refresh(secret: address)
        case .key(let address): try kms.refresh(key: address)
        case .alias: try kms.refreshAliases()
        case .grants(let address): try kms.refresh(grantsOf: address)
        case .revokeLeases(let prefix): leases.revokeHere(prefix: prefix)
        case .everything:
            try kms.reload()
            try ssm.reload()
            try secrets?.reload()
        }
    }
}
