import Foundation
import Yams

/// The config file (`--config`, YAML): lease limits, SigV4 access keys for TCP, and the policy.
///
/// ```yaml
/// leases: {defaultTtlSeconds: 300, maxTtlSeconds: 3600, maxActive: 100000, maxActivePerOwner: 20000}
/// accessKeys:
///   - {id: AKIAHANDLERS0000001, secretFile: /etc/sealbox/handlers.secret, principal: handlers}
/// aws:
///   principals: {"arn:aws:iam::123456789012:role/app": "uid:1001"}
/// policy:
///   - principals: ["group:lambda", "uid:1001", "access-key:handlers"]
///     allow: ["lease:*", "ssm:GetParameter*", "kms:Decrypt"]
///     resources: ["/app/*", "alias/app"]
/// rotation:
///   timeoutSeconds: 30
///   handlers: {"arn:aws:lambda:us-east-1:123456789012:function:rotate-db": /usr/local/libexec/rotate-db}
/// ```
public struct SealboxConfig: Sendable, Equatable {
    /// An access key whose secret is read from a file (mode 0600, never in the config itself).
    public struct AccessKeyEntry: Sendable, Equatable {
        public var id: String
        public var secretFile: String
        public var principal: String
        /// The account its requests act in; nil for `--account-id`.
        public var account: String? = nil
    }

    public var leases: LeaseSettings
    /// The `server:` limits, read at start only.
    public var limits: ServerLimits
    public var accessKeys: [AccessKeyEntry]
    /// Nil when the file has no `policy:`; the default policy then applies.
    public var policy: Policy?
    /// `logging.level`: trace, debug, info, notice, warning, error or critical; read at start.
    public var logLevel: String?
    /// `aws.regions`: regions a SigV4 credential scope may name besides AWS's own and `--region`;
    /// read at start.
    public var regions: [String] = []
    /// `aws.principals`: AWS principal ARNs (as KMS grants name them) and the policy principals
    /// (`uid:N`, `access-key:NAME`...) each stands for; reloaded with the policy.
    public var awsPrincipals: [String: [String]] = [:]
    /// `rotation`: the executables that stand in for rotation Lambda functions; reloaded.
    public var rotation = RotationSettings()
    /// `store`: following a store shared with other daemons; read at start.
    public var store = StoreSettings()
    /// `extension:`: the tokens the extension's and the agent's routes accept, and their headers;
    /// reloaded with the policy.
    public var extensionSettings = ExtensionSettings()

    /// - Parameters:
    ///   - leases: lease TTLs and the cap on active leases.
    ///   - limits: the per-connection limits and the connection cap.
    ///   - accessKeys: SigV4 access keys for TCP.
    ///   - policy: the rules, or nil for the default policy.
    public init(
        leases: LeaseSettings = LeaseSettings(),
        limits: ServerLimits = ServerLimits(),
        accessKeys: [AccessKeyEntry] = [],
        policy: Policy? = nil
    ) {
        self.leases = leases
        self.limits = limits
        self.accessKeys = accessKeys
        self.policy = policy
    }

    /// Parses a config file's text. Unknown keys and bad values are refused with where they are.
    /// - Parameters:
    ///   - text: the YAML (or JSON) text.
    ///   - origin: the file name, for errors.
    public static func parse(_ text: String, origin: String) throws -> SealboxConfig {
        func fail(_ message: String) -> SetupError { SetupError(description: "\(origin): \(message)") }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { return SealboxConfig() }
            root = node
        } catch {
            throw fail("not valid YAML: \(error)")
        }
        guard let top = root.mapping else { throw fail("the top level must be a mapping") }
        var config = SealboxConfig()
        for (keyNode, value) in top {
            guard let key = keyNode.string else { throw fail("keys must be strings") }
            switch key {
            case "leases":
                config.leases = try parseLeases(value, fail)
            case "server":
                guard let mapping = value.mapping else { throw fail("server must be a mapping") }
                for (name, setting) in mapping {
                    let key = name.string ?? ""
                    guard let number = setting.int, number > 0 else {
                        throw fail("server.\(key) must be a positive integer")
                    }
                    switch key {
                    case "maxConnections": config.limits.maxConnections = number
                    case "maxHeaderBytes": config.limits.maxHeaderBytes = number
                    case "maxHeaderCount": config.limits.maxHeaderCount = number
                    case "maxBodyBytes": config.limits.maxBodyBytes = number
                    case "requestTimeoutSeconds": config.limits.requestTimeoutSeconds = number
                    case "idleTimeoutSeconds": config.limits.idleTimeoutSeconds = number
                    case "preAuthTimeoutSeconds": config.limits.preAuthTimeoutSeconds = number
                    default:
                        throw fail(
                            "unknown key 'server.\(key)' (expected maxConnections, maxHeaderBytes, maxHeaderCount, maxBodyBytes, requestTimeoutSeconds, idleTimeoutSeconds, preAuthTimeoutSeconds)"
                        )
                    }
                }
            case "accessKeys":
                guard let list = value.sequence else { throw fail("accessKeys must be a list") }
                config.accessKeys = try list.enumerated().map { index, entry in
                    let fields = try strings(
                        entry, ["id", "secretFile", "principal", "account"], "accessKeys[\(index)]", fail)
                    guard let id = fields["id"], let file = fields["secretFile"], let principal = fields["principal"]
                    else {
                        throw fail("accessKeys[\(index)] needs id, secretFile and principal")
                    }
                    if let account = fields["account"], !Scope.isAccountID(account) {
                        throw fail("accessKeys[\(index)].account must be 12 digits, not '\(account)'")
                    }
                    return AccessKeyEntry(id: id, secretFile: file, principal: principal, account: fields["account"])
                }
            case "logging":
                guard let mapping = value.mapping else { throw fail("logging must be a mapping") }
                for (name, setting) in mapping {
                    guard name.string == "level" else {
                        throw fail("unknown key 'logging.\(name.string ?? "")' (expected level)")
                    }
                    let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                    guard let level = setting.string, levels.contains(level) else {
                        throw fail("logging.level must be one of \(levels.joined(separator: ", "))")
                    }
                    config.logLevel = level
                }
            case "aws":
                (config.regions, config.awsPrincipals) = try parseAWS(value, fail)
            case "rotation":
                config.rotation = try RotationSettings.parse(value, fail)
            case "store":
                config.store = try StoreSettings.parse(value, fail)
            case "extension":
                config.extensionSettings = try ExtensionSettings.parse(value, fail)
            case "policy":
                guard let list = value.sequence else { throw fail("policy must be a list of rules") }
                config.policy = Policy(
                    rules: try list.enumerated().map { index, rule in try parseRule(rule, "policy[\(index)]", fail) })
            default:
                throw fail(
                    "unknown key '\(key)' (expected leases, server, accessKeys, logging, aws, rotation, store, extension, policy)"
                )
            }
        }
        return config
    }

    private static func parseLeases(_ node: Node, _ fail: (String) -> SetupError) throws -> LeaseSettings {
        guard let mapping = node.mapping else { throw fail("leases must be a mapping") }
        var settings = LeaseSettings()
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            guard let number = value.int, number > 0 else { throw fail("leases.\(key) must be a positive integer") }
            switch key {
            case "defaultTtlSeconds": settings.defaultTtlSeconds = number
            case "maxTtlSeconds": settings.maxTtlSeconds = number
            case "maxActive": settings.maxActive = number
            case "maxActivePerOwner": settings.maxActivePerOwner = number
            default:
                throw fail(
                    "unknown key 'leases.\(key)' (expected defaultTtlSeconds, maxTtlSeconds, maxActive, maxActivePerOwner)"
                )
            }
        }
        guard settings.defaultTtlSeconds <= settings.maxTtlSeconds else {
            throw fail("leases.defaultTtlSeconds must not exceed leases.maxTtlSeconds")
        }
        return settings
    }

    /// The `aws:` section: `regions`, a list of region names (lowercase letters, digits and `-`), and
    /// `principals`, a mapping from AWS principal ARNs to a policy principal or a list of them.
    private static func parseAWS(_ node: Node, _ fail: (String) -> SetupError) throws -> (
        regions: [String], principals: [String: [String]]
    ) {
        guard let mapping = node.mapping else { throw fail("aws must be a mapping") }
        var regions: [String] = []
        var principals: [String: [String]] = [:]
        for (name, value) in mapping {
            switch name.string {
            case "regions":
                regions = try parseRegions(value, fail)
            case "principals":
                principals = try parsePrincipals(value, fail)
            default:
                throw fail("unknown key 'aws.\(name.string ?? "")' (expected regions, principals)")
            }
        }
        return (regions, principals)
    }

    private static func parseRegions(_ value: Node, _ fail: (String) -> SetupError) throws -> [String] {
        guard let items = value.sequence?.compactMap(\.string), items.count == value.sequence?.count else {
            throw fail("aws.regions must be a list of region names")
        }
        for region in items {
            guard Scope.isRegionName(region) else {
                throw fail("aws.regions: '\(region)' is not a region name (lowercase letters, digits and -)")
            }
        }
        return items
    }

    /// `aws.principals`: each key an AWS principal a grant may name, each value one policy principal
    /// or a non-empty list of them (`*` is refused: a grant names someone).
    private static func parsePrincipals(_ value: Node, _ fail: (String) -> SetupError) throws -> [String: [String]] {
        guard let mapping = value.mapping else {
            throw fail("aws.principals must be a mapping from AWS principal ARNs to policy principals")
        }
        var principals: [String: [String]] = [:]
        for (keyNode, target) in mapping {
            guard let arn = keyNode.string, AWSPrincipal.isValid(arn) else {
                throw fail(
                    "aws.principals: '\(keyNode.string ?? "")' is not an AWS principal (arn:aws:iam::ACCOUNT:root, user/NAME, role/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or a service principal)"
                )
            }
            let names = target.string.map { [$0] } ?? target.sequence?.compactMap(\.string) ?? []
            guard !names.isEmpty, names.count == (target.sequence?.count ?? 1) else {
                throw fail("aws.principals['\(arn)'] must be a policy principal or a non-empty list of them")
            }
            for name in names where name == "*" || !isPrincipal(name) {
                throw fail(
                    "aws.principals['\(arn)']: '\(name)' is not a policy principal (uid:N, gid:N, user:NAME, group:NAME, access-key:NAME, token)"
                )
            }
            principals[arn] = names
        }
        return principals
    }

    private static func parseRule(_ node: Node, _ place: String, _ fail: (String) -> SetupError) throws -> Policy.Rule {
        guard let mapping = node.mapping else { throw fail("\(place) must be a mapping") }
        var lists: [String: [String]] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            guard ["principals", "allow", "resources"].contains(key) else {
                throw fail("unknown key '\(place).\(key)' (expected principals, allow, resources)")
            }
            guard let items = value.sequence?.compactMap(\.string), items.count == value.sequence?.count, !items.isEmpty
            else {
                throw fail("\(place).\(key) must be a non-empty list of strings")
            }
            lists[key] = items
        }
        guard let principals = lists["principals"], let allow = lists["allow"], let resources = lists["resources"]
        else {
            throw fail("\(place) needs principals, allow and resources")
        }
        for principal in principals where !isPrincipal(principal) {
            throw fail(
                "\(place): '\(principal)' is not a principal (uid:N, gid:N, user:NAME, group:NAME, access-key:NAME, rotation:FUNCTION, token, *)"
            )
        }
        for action in allow where action != "*" && !action.contains(":") {
            throw fail("\(place): '\(action)' is not an action (service:Operation, with an optional trailing *)")
        }
        return Policy.Rule(principals: principals, allow: allow, resources: resources)
    }

    private static func isPrincipal(_ text: String) -> Bool {
        if text == "*" || text == "token" { return true }
        for prefix in ["uid:", "gid:"] where text.hasPrefix(prefix) {
            return UInt32(text.dropFirst(prefix.count)) != nil
        }
        return ["user:", "group:", "access-key:", "rotation:"].contains { text.hasPrefix($0) && text.count > $0.count }
    }

    private static func strings(
        _ node: Node,
        _ allowed: [String],
        _ place: String,
        _ fail: (String) -> SetupError
    ) throws -> [String: String] {
        guard let mapping = node.mapping else { throw fail("\(place) must be a mapping") }
        var result: [String: String] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            guard allowed.contains(key) else { throw fail("unknown key '\(place).\(key)'") }
            guard let text = value.string, !text.isEmpty else {
                throw fail("\(place).\(key) must be a non-empty string")
            }
            result[key] = text
        }
        return result
    }
}

/// The server's limits against too many connections and oversized or slow requests (`server:` in the
/// config); each limit has its one home here.
public struct ServerLimits: Sendable, Equatable {
    /// Open connections on each listener (the Unix socket and TCP count separately, so that TCP
    /// callers cannot use up the socket's) beyond which requests get 429.
    public var maxConnections = 1024
    /// All header names and values of one request together.
    public var maxHeaderBytes = 16 * 1024
    /// Header fields in one request.
    public var maxHeaderCount = 100
    /// One request body; larger ones get 413.
    public var maxBodyBytes = 64 * 1024
    /// From the end of a request's head to the end of its body.
    public var requestTimeoutSeconds = 10
    /// A connection with no request in progress (including one still sending a head) is closed
    /// after this long.
    public var idleTimeoutSeconds = 60
    /// A TCP connection that has not had a request through authentication this long after it
    /// opened is closed (slow or idle unauthenticated connections must not hold slots). The socket's
    /// peers are known from the moment they connect.
    public var preAuthTimeoutSeconds = 5

    /// The defaults: 1024 connections per listener, 16 KiB and 100 header fields, 64 KiB bodies, 10 s
    /// per request, 60 s idle and 5 s to authenticate on TCP.
    public init() {}
}
