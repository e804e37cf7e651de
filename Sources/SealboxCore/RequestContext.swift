/// Who is asking, and where, for one request.
public struct RequestContext: Sendable {
    /// How the caller was identified.
    public enum Principal: Hashable, Sendable, CustomStringConvertible {
        /// A process on the Unix socket, from SO_PEERCRED, with its start time (clock ticks since
        /// boot, `/proc/<pid>/stat` field 22) so a recycled pid is a different caller.
        case process(pid: Int32, uid: UInt32, gid: UInt32, startTime: UInt64)
        /// A SigV4 access key on TCP.
        case accessKey(String)
        /// A TCP caller that presented the extension token (`X-Aws-Parameters-Secrets-Token`).
        case token
        /// Any caller of an ephemeral daemon that sent no verifiable identity.
        case anonymous
        /// The daemon itself, acting on its own schedule (parameter policies).
        case daemon

        public var description: String {
            switch self {
            case .process(let pid, let uid, _, _): "uid:\(uid)/pid:\(pid)"
            case .accessKey(let id): "access-key:\(id)"
            case .token: "token"
            case .anonymous: "anonymous"
            case .daemon: "sealboxd"
            }
        }
    }

    /// The region for ARNs: the SigV4 scope's, else the daemon's default.
    public var region: String
    /// The account for ARNs.
    public var accountID: String
    /// The account and region its keys and aliases are found in.
    public var scope: Scope { Scope(account: accountID, region: region) }
    /// The caller.
    public var principal: Principal
    /// The caller's policy names and the policy in force.
    public var authorization: Authorization
    /// The action being performed, such as `kms:Decrypt`; set by the route that dispatches.
    public var action: Action
    /// Collects what the request touches, for the audit log; nil when the request is not audited.
    public var trail: AuditTrail?

    /// - Parameters:
    ///   - region: the region for ARNs.
    ///   - accountID: the account for ARNs.
    ///   - principal: the caller.
    ///   - authorization: what the caller may do; unrestricted by default (tests, ephemeral daemons).
    ///   - action: the action, such as `kms:Decrypt`.
    public init(
        region: String,
        accountID: String,
        principal: Principal,
        authorization: Authorization = .unrestricted,
        action: Action = .unnamed
    ) {
        self.region = region
        self.accountID = accountID
        self.principal = principal
        self.authorization = authorization
        self.action = action
    }

    /// The same caller acting in another account and region.
    /// - Parameter scope: the account and region.
    public func within(_ scope: Scope) -> RequestContext {
        var context = self
        (context.region, context.accountID) = (scope.region, scope.account)
        return context
    }

    /// `arn:aws:<service>:<region>:<account>:<resource><name>`, built in one reserved string: reads
    /// answer with an ARN on every call, and interpolation grew its buffer several times.
    /// - Parameters:
    ///   - service: `kms` or `ssm`.
    ///   - resource: what comes before the name, such as `key/` or `parameter/`.
    ///   - name: the resource's name.
    func arn(_ service: StaticString, _ resource: StaticString, _ name: some StringProtocol) -> String {
        var (region, accountID, name) = (region, accountID, Substring(name))
        // The parts are copied as byte runs into the string's storage, once: this runs on every SSM
        // read, and String's += of each part goes through its generic append.
        return region.withUTF8 { region in
            accountID.withUTF8 { accountID in
                name.withUTF8 { name in
                    let count =
                        8 + service.utf8CodeUnitCount + 1 + region.count + 1 + accountID.count + 1
                        + resource.utf8CodeUnitCount + name.count
                    return String(unsafeUninitializedCapacity: count) { out in
                        var written = 0
                        func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                            written =
                                UnsafeMutableBufferPointer(rebasing: out[written...]).initialize(
                                    fromContentsOf: bytes) + written
                        }
                        func put(_ text: StaticString) {
                            put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
                        }
                        put("arn:aws:")
                        put(service)
                        put(":")
                        put(region)
                        put(":")
                        put(accountID)
                        put(":")
                        put(resource)
                        put(name)
                        return written
                    }
                }
            }
        }
    }

    /// Refuses with `AccessDeniedException` unless the policy grants this request's action on
    /// every resource.
    /// - Parameter resources: what the action touches; empty for "no particular resource".
    public func authorize(_ resources: [String]) throws(SealboxError) {
        try authorize(action.name, resources)
    }

    /// Refuses with `AccessDeniedException` unless the policy grants `action` on every resource.
    /// - Parameters:
    ///   - action: the action, such as `lease:Redeem`.
    ///   - resources: what it touches.
    public func authorize(_ action: String, _ resources: [String]) throws(SealboxError) {
        if let trail { for resource in resources { trail.add(resource) } }
        guard !authorization.allows(action, resources) else { return }
        let resource = resources.first ?? "*"
        throw SealboxError.accessDenied(
            "User: \(principal) is not authorized to perform: \(action) on resource: \(resource) because no policy rule allows it"
        )
    }
}
