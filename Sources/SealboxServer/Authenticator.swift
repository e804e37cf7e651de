import NIOHTTP1
import SealboxCore
import SealboxCrypto

/// Says who a request comes from, on either listener:
/// - the Unix socket: SO_PEERCRED and the process start time, read once per connection;
/// - TCP: a SigV4 signature for a configured access key, or the extension token
///   (`X-Aws-Parameters-Secrets-Token`, compared in constant time with `<data-dir>/token`);
/// - TCP with `--ephemeral`: anyone, as moto does.
struct Authenticator: Sendable {
    let settings: ServerSettings
    let verifier: SigV4Verifier
    let token: SecureBytes?

    static let tokenHeader = "x-aws-parameters-secrets-token"

    /// Identifies the caller of an AWS JSON request.
    func aws(_ request: HTTPRequest, signingName: String) throws(AWSError) -> RequestContext {
        let headers = request.head.headers
        let region = SigV4Authorization.region(of: headers) ?? settings.region
        switch request.connection.transport {
        case .unix(let peer, let startTime):
            return RequestContext(
                region: region, accountID: settings.accountID,
                principal: try process(peer, startTime, AWSError.accessDenied))
        case .tcp:
            if headers.contains(name: "x-forwarded-for") {
                throw AWSError.accessDenied("Requests relayed through a proxy (X-Forwarded-For) are refused.")
            }
            if settings.ephemeral {
                let auth = headers.first(name: "authorization").flatMap { SigV4Authorization($0) }
                return RequestContext(
                    region: region, accountID: settings.accountID,
                    principal: auth.map { .accessKey($0.accessKeyID) } ?? .anonymous)
            }
            if headers.first(name: "authorization") == nil, hasValidToken(headers) {
                return RequestContext(region: region, accountID: settings.accountID, principal: .token)
            }
            let (key, signedRegion) = try verifier.verify(
                method: request.head.method.rawValue, path: request.path, query: request.query, headers: headers,
                body: request.body, service: signingName)
            return RequestContext(region: signedRegion, accountID: settings.accountID, principal: .accessKey(key.id))
        }
    }

    /// Identifies the caller of a native or extension request: the socket peer, or the token on TCP.
    func native(_ request: HTTPRequest) throws(NativeError) -> RequestContext {
        let headers = request.head.headers
        switch request.connection.transport {
        case .unix(let peer, let startTime):
            let principal = try process(peer, startTime) {
                NativeError(status: .forbidden, code: "AccessDenied", message: $0)
            }
            return RequestContext(region: settings.region, accountID: settings.accountID, principal: principal)
        case .tcp:
            if headers.contains(name: "x-forwarded-for") {
                throw NativeError(
                    status: .forbidden, code: "AccessDenied",
                    message: "Requests relayed through a proxy (X-Forwarded-For) are refused.")
            }
            if settings.ephemeral {
                return RequestContext(region: settings.region, accountID: settings.accountID, principal: .anonymous)
            }
            guard hasValidToken(headers) else {
                throw NativeError(
                    status: .unauthorized, code: "Unauthorized",
                    message: "On TCP, send the token from <data-dir>/token in X-Aws-Parameters-Secrets-Token.")
            }
            return RequestContext(region: settings.region, accountID: settings.accountID, principal: .token)
        }
    }

    private func hasValidToken(_ headers: HTTPHeaders) -> Bool {
        guard let token, let presented = headers.first(name: Self.tokenHeader) else { return false }
        return token.constantTimeEquals(Array(presented.utf8))
    }

    /// The socket peer, refused unless the default policy trusts it: root and the daemon's own uid.
    private func process<E: Error>(
        _ peer: PeerCredentials?,
        _ startTime: UInt64?,
        _ refuse: (String) -> E
    ) throws(E) -> RequestContext.Principal {
        guard let peer, let startTime else { throw refuse("The caller's process credentials could not be read.") }
        guard peer.uid == 0 || peer.uid == settings.daemonUID else {
            throw refuse("User uid:\(peer.uid) is not authorized to use this Sealbox daemon.")
        }
        return .process(pid: peer.pid, uid: peer.uid, gid: peer.gid, startTime: startTime)
    }
}

/// A refusal or failure on a native endpoint: a 4xx/5xx with `{"error", "message"}`.
struct NativeError: Error {
    let status: HTTPResponseStatus
    let code: String
    let message: String

    var response: HTTPResponse { .error(status, code: code, message: message) }
}
