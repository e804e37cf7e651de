/// The paths of Sealbox's own HTTP endpoints, as the daemon routes them. AWS JSON 1.1 calls go to
/// ``aws`` with an `X-Amz-Target` header; everything else is named here so that no caller spells a
/// path by hand.
public enum NativePath {
    /// `POST /` with `X-Amz-Target`: the AWS KMS and SSM APIs.
    public static let aws = "/"
    /// `GET`/`HEAD /health`: liveness and counts, answered with ``Health``.
    public static let health = "/health"
    /// `GET /metrics`: Prometheus text, for callers granted `metrics:Read`.
    public static let metrics = "/metrics"
    /// `POST /moto-api/reset` (ephemeral daemons only): back to the fixtures, answered with ``ResetResult``.
    public static let reset = "/moto-api/reset"
    /// `GET /systemsmanager/parameters/get`: the AWS Parameters and Secrets Lambda Extension's API.
    public static let extensionGetParameter = "/systemsmanager/parameters/get"
    /// `GET /secretsmanager/get`: the same extension's Secrets Manager API.
    public static let extensionGetSecret = "/secretsmanager/get"
    /// `GET /ping`: the Secrets Manager Agent's health check, `healthy` with no token.
    public static let agentPing = "/ping"

    /// `POST` creates a lease (``CreateLeaseRequest``); `GET` lists them (``LeaseList``).
    public static let leases = "/v1/leases"
    /// `POST /v1/leases/revoke`: revokes by id or name prefix (``RevokeLeasesRequest``).
    public static let revokeLeases = "/v1/leases/revoke"

    /// `GET /v1/status`: the daemon's state, answered with ``StatusResponse``.
    public static let status = "/v1/status"
    /// `GET /v1/audit`: complete audit lines; see ``audit(tail:)`` and ``audit(offset:limit:)``.
    public static let audit = "/v1/audit"
    /// `POST /v1/audit/verify`: checks the audit log's MACs and order.
    public static let auditVerify = "/v1/audit/verify"
    /// `POST /v1/keys/rewrap`: re-wraps stored data keys under their key's newest version.
    public static let rewrapKeys = "/v1/keys/rewrap"
    /// `POST /v1/keys/retire`: sets a key's decryption floor.
    public static let retireKeyVersions = "/v1/keys/retire"
    /// `POST /v1/root/rotate`: a new root key, everything re-wrapped under it.
    public static let rotateRootKey = "/v1/root/rotate"
    /// `GET /v1/backup`: an online SQLite copy of the store (`application/vnd.sqlite3`).
    public static let backup = "/v1/backup"
    /// `POST /v1/env/encrypt`: an env token for a value (``EnvRequest`` in, ``EnvToken`` out).
    public static let envEncrypt = "/v1/env/encrypt"
    /// `POST /v1/env/decrypt`: the value of an env token (``EnvRequest`` in, `{"name","value"}` out).
    public static let envDecrypt = "/v1/env/decrypt"
    /// `POST /v1/env/rewrap`: an env token moved to its key's newest version (``EnvRewrapped`` out).
    public static let envRewrap = "/v1/env/rewrap"

    /// `GET` lists the recorded calls (``RecordedCallList``); `DELETE` forgets them. Ephemeral only.
    public static let testCalls = "/v1/test/calls"
    /// `POST /v1/test/inspect`: scans a process for the secrets it was served. Ephemeral only.
    public static let testInspect = "/v1/test/inspect"
    /// `POST` applies fixtures (YAML or JSON body); `GET` exports them (ephemeral only).
    public static let fixtures = "/v1/fixtures"

    /// `/v1/leases/{id}`: `DELETE` ends the lease.
    /// - Parameter id: the lease id.
    public static func lease(_ id: String) -> String {
        "\(leases)/\(id)"
    }

    /// `/v1/leases/{id}/redeem`: `POST` answers the parameter's current value and version.
    /// - Parameter id: the lease id.
    public static func redeem(_ id: String) -> String {
        "\(leases)/\(id)/redeem"
    }

    /// `/v1/leases/{id}/renew`: `POST` (``RenewLeaseRequest``) extends the lease from now.
    /// - Parameter id: the lease id.
    public static func renew(_ id: String) -> String {
        "\(leases)/\(id)/renew"
    }

    /// `GET /v1/audit?tail=N`: the last `lines` complete lines.
    /// - Parameter lines: how many lines; the daemon clamps it to 1...1000.
    public static func audit(tail lines: Int) -> String {
        "\(audit)?tail=\(lines)"
    }

    /// `GET /v1/audit?offset=B&limit=M`: complete lines from a byte offset, for following the log.
    /// - Parameters:
    ///   - offset: where to start, an ``AuditPage/nextOffset`` from an earlier page.
    ///   - limit: the most lines; the daemon clamps it to 1...1000.
    public static func audit(offset: Int, limit: Int) -> String {
        "\(audit)?offset=\(offset)&limit=\(limit)"
    }

    /// `GET /v1/fixtures?format=F`: the export in `yaml` or `json`.
    /// - Parameter format: `yaml` or `json`.
    public static func fixtures(format: String) -> String {
        "\(fixtures)?format=\(format)"
    }

    /// `GET /systemsmanager/parameters/get?name=...`: the Lambda extension's read of one parameter.
    /// - Parameters:
    ///   - name: the parameter name, percent-encoded here.
    ///   - withDecryption: whether a SecureString comes back decrypted.
    public static func extensionGetParameter(name: String, withDecryption: Bool) -> String {
        "\(extensionGetParameter)?name=\(percentEncoded(name))\(withDecryption ? "&withDecryption=true" : "")"
    }

    /// `GET /secretsmanager/get?secretId=...`: the Lambda extension's (and the agent's) read of a
    /// secret's current value.
    /// - Parameter id: the secret's name or ARN, percent-encoded here.
    public static func extensionGetSecret(id: String) -> String {
        "\(extensionGetSecret)?secretId=\(percentEncoded(id))"
    }

    /// `text` with every byte but RFC 3986's unreserved characters as `%XX`, for a query value.
    /// - Parameter text: the value.
    public static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
