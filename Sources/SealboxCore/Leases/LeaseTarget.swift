import SealboxCrypto

/// What a lease opens besides its name: a parameter's newest version, or a version of a Secrets
/// Manager secret.
public enum LeaseTarget: Sendable, Hashable {
    /// A parameter; `version` was its newest when the lease was made. Redeems serve the newest.
    case parameter(version: Int)
    /// A secret, known by its ARN, so a secret deleted and made again under the name is another one
    /// and the lease does not open it. Redeems serve the version `versionID` names or, without it,
    /// the one that carries `stage` at the time; `createdVersion` is the version served when the
    /// lease was made.
    case secret(arn: String, versionID: String?, stage: String?, createdVersion: String)
}

/// A lease's plaintext, in guarded memory, and the version it is.
public struct LeaseRedemption: Sendable {
    /// Which version was opened.
    public enum Version: Sendable, Equatable {
        /// A parameter version.
        case parameter(Int)
        /// A secret version, and whether its value is a `SecretBinary`.
        case secret(id: String, binary: Bool)
    }

    /// The plaintext.
    public let value: SecureBytes
    /// The version it is.
    public let version: Version
}
