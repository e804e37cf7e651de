/// One call an ephemeral daemon recorded, as `GET /v1/test/calls` lists it. It names the operation,
/// the caller and the resources, never a value.
public struct RecordedCall: Codable, Sendable, Equatable {
    /// Who made the call. Which members are present depends on `kind`: a socket caller has `pid`,
    /// `uid` and `gid`; an access key caller `accessKey`.
    public struct Principal: Codable, Sendable, Equatable {
        /// How the caller was identified, such as `process`, `accessKey`, `token` or `anonymous`.
        public var kind: String
        /// The caller's process id, on the socket.
        public var pid: Int32?
        /// The caller's user id, on the socket.
        public var uid: UInt32?
        /// The caller's group id, on the socket.
        public var gid: UInt32?
        /// The access key's principal, on TCP.
        public var accessKey: String?

        /// - Parameters:
        ///   - kind: how the caller was identified.
        ///   - pid: its process id.
        ///   - uid: its user id.
        ///   - gid: its group id.
        ///   - accessKey: its access key principal.
        public init(
            kind: String, pid: Int32? = nil, uid: UInt32? = nil, gid: UInt32? = nil, accessKey: String? = nil
        ) {
            self.kind = kind
            self.pid = pid
            self.uid = uid
            self.gid = gid
            self.accessKey = accessKey
        }
    }

    /// The call's number since the daemon started, from 1.
    public var sequence: Int
    /// When it was answered, in epoch seconds.
    public var time: Double
    /// The action, such as `kms:Decrypt` or `lease:Redeem`.
    public var operation: String
    /// The parameter names, key ids and lease ids it touched.
    public var resources: [String]
    /// Who made it.
    public var principal: Principal
    /// `allowed`, `denied` or `failed:<code>`.
    public var result: String
    /// The HTTP status of the answer.
    public var status: Int

    /// - Parameters:
    ///   - sequence: the call's number.
    ///   - time: when it was answered.
    ///   - operation: the action.
    ///   - resources: what it touched.
    ///   - principal: who made it.
    ///   - result: its outcome.
    ///   - status: the HTTP status.
    public init(
        sequence: Int, time: Double, operation: String, resources: [String], principal: Principal, result: String,
        status: Int
    ) {
        self.sequence = sequence
        self.time = time
        self.operation = operation
        self.resources = resources
        self.principal = principal
        self.result = result
        self.status = status
    }
}
