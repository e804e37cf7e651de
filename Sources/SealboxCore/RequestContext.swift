/// Who is asking, and where, for one request.
public struct RequestContext: Sendable {
    /// How the caller was identified.
    public enum Principal: Hashable, Sendable, CustomStringConvertible {
        /// A process on the Unix socket, from SO_PEERCRED.
        case process(pid: Int32, uid: UInt32, gid: UInt32)
        /// A SigV4 access key on TCP.
        case accessKey(String)
        /// Any caller of an ephemeral daemon that sent no verifiable identity.
        case anonymous

        public var description: String {
            switch self {
            case .process(let pid, let uid, _): "uid:\(uid)/pid:\(pid)"
            case .accessKey(let id): "access-key:\(id)"
            case .anonymous: "anonymous"
            }
        }
    }

    /// The region for ARNs: the SigV4 scope's, else the daemon's default.
    public var region: String
    /// The account for ARNs.
    public var accountID: String
    /// The caller.
    public var principal: Principal

    /// - Parameters:
    ///   - region: the region for ARNs.
    ///   - accountID: the account for ARNs.
    ///   - principal: the caller.
    public init(region: String, accountID: String, principal: Principal) {
        self.region = region
        self.accountID = accountID
        self.principal = principal
    }
}
