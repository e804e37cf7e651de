/// What a request does, as the policy names it (`kms:Decrypt`, `lease:Redeem`), and whether the
/// audit log records it. Each action is declared once: the native ones here, the AWS ones in their
/// operation tables.
public struct Action: Hashable, Sendable, CustomStringConvertible {
    /// What keeps a record of an action's requests.
    public enum Trace: Hashable, Sendable {
        /// The audit log, and an ephemeral daemon's call record: every decrypt, write and key use.
        case audited
        /// Only an ephemeral daemon's call record: reads of metadata.
        case recorded
        /// Nothing: the endpoints that read the call record and the metrics themselves.
        case untraced
    }

    /// The policy name, `<service>:<operation>`.
    public let name: String
    /// What keeps a record of its requests.
    public let trace: Trace

    /// - Parameters:
    ///   - name: the policy name, `<service>:<operation>`.
    ///   - trace: what keeps a record of its requests.
    public init(_ name: String, trace: Trace) {
        self.name = name
        self.trace = trace
    }

    /// - Parameters:
    ///   - name: the policy name, `<service>:<operation>`.
    ///   - audited: whether the audit log records it; if not, only an ephemeral daemon's call record.
    public init(_ name: String, audited: Bool) {
        self.init(name, trace: audited ? .audited : .recorded)
    }

    /// Whether the audit log records it.
    public var audited: Bool { trace == .audited }

    public var description: String { name }

    /// No action yet: a context the dispatcher has not named.
    public static let unnamed = Action("", trace: .untraced)
}

extension Action {
    /// `POST /v1/leases`.
    public static let createLease = Action("lease:Create", audited: true)
    /// `POST /v1/leases/{id}/redeem`.
    public static let redeemLease = Action("lease:Redeem", audited: true)
    /// `POST /v1/leases/{id}/renew`.
    public static let renewLease = Action("lease:Renew", audited: true)
    /// `DELETE /v1/leases/{id}`.
    public static let deleteLease = Action("lease:Delete", audited: true)
    /// A `/v1/leases` request that names no lease operation.
    public static let unknownLeaseOperation = Action("lease:Unknown", audited: true)
    /// `GET /v1/leases`.
    public static let listLeases = Action("admin:ListLeases", audited: true)
    /// `POST /v1/leases/revoke`.
    public static let revokeLeases = Action("admin:RevokeLeases", audited: true)

    /// `GET /v1/status`.
    public static let status = Action("admin:Status", audited: false)
    /// `GET /v1/audit`.
    public static let readAudit = Action("admin:ReadAudit", audited: false)
    /// `POST /v1/audit/verify`.
    public static let verifyAudit = Action("admin:VerifyAudit", audited: false)
    /// `POST /v1/keys/rewrap`.
    public static let rewrapKeys = Action("admin:RewrapKeys", audited: true)
    /// `POST /v1/keys/retire`.
    public static let retireKeyVersions = Action("admin:RetireKeyVersions", audited: true)
    /// `GET /v1/backup`.
    public static let backup = Action("admin:Backup", audited: true)
    /// `POST /v1/root/rotate`.
    public static let rotateRootKey = Action("admin:RotateRootKey", audited: true)
    /// `POST /v1/env/encrypt` and `/v1/env/rewrap`.
    public static let encryptEnv = Action("env:Encrypt", audited: true)
    /// `POST /v1/env/decrypt`.
    public static let decryptEnv = Action("env:Decrypt", audited: true)

    /// `GET /v1/test/calls`.
    public static let readCalls = Action("admin:ReadCalls", trace: .untraced)
    /// `DELETE /v1/test/calls`.
    public static let clearCalls = Action("admin:ClearCalls", trace: .untraced)
    /// `POST /v1/test/inspect`.
    public static let inspect = Action("admin:Inspect", trace: .untraced)
    /// `POST /v1/fixtures` on an ephemeral daemon.
    public static let importFixtures = Action("admin:ImportFixtures", trace: .untraced)
    /// `POST /v1/fixtures` on a persistent daemon: the same grant, but audited.
    public static let seedFixtures = Action("admin:ImportFixtures", trace: .audited)
    /// `GET /v1/fixtures`.
    public static let exportFixtures = Action("admin:ExportFixtures", trace: .untraced)
    /// `GET /metrics`.
    public static let readMetrics = Action("metrics:Read", trace: .untraced)
    /// `POST /moto-api/reset` on an ephemeral daemon under `--require-auth`.
    public static let reset = Action("admin:Reset", trace: .untraced)
}
