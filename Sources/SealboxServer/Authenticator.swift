import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// Says who a request comes from, on either listener, and attaches the policy in force:
/// - the Unix socket: the peer identity read once per connection (uid, groups, start time);
/// - TCP: a SigV4 signature for a configured access key, or the extension token
///   (`X-Aws-Parameters-Secrets-Token`, compared in constant time with `<data-dir>/token`; on the
///   extension and agent routes, in any of the config's `extension.tokenHeaders`, and the tokens of
///   its `extension.tokenSources` too);
/// - TCP with `--ephemeral`: anyone, as moto does, unless `--require-auth`.
///
/// Refusals by policy happen later, where the action and its resources are known.
struct Authenticator: Sendable {
    let settings: ServerSettings
    let security: SecurityState
    let verifier: SigV4Verifier
    let token: SecureBytes?

    static let tokenHeader = "x-aws-parameters-secrets-token"

    init(settings: ServerSettings, security: SecurityState, token: SecureBytes?, clock: any WallClock) {
        self.settings = settings
        self.security = security
        self.token = token
        verifier = SigV4Verifier(
            keys: { security.snapshot.keys }, clock: clock,
            regions: AWSRegions.names + settings.extraRegions + [settings.region])
    }

    /// Identifies the caller of an AWS JSON request.
    func aws(_ request: HTTPRequest, signingName: String) throws(AWSError) -> RequestContext {
        let headers = request.head.headers
        // Found and parsed once: the region, the ephemeral principal, the token check and the verifier
        // all read it.
        let header = headers.first(name: "authorization")
        let authorization = header.flatMap { SigV4Authorization($0) }
        let region = authorization.map { String($0.region) } ?? settings.region
        // Unverified on the socket and on an open ephemeral daemon, so only its form is checked
        // there: any region name is taken. It goes into ARNs and the store's keys.
        guard Scope.isRegionName(region) else {
            throw AWSError.invalidSignature("Credential should be scoped to a valid region, not '\(region)'.")
        }
        switch request.connection.transport {
        case .unix(let peer):
            guard let peer else { throw AWSError.accessDenied("The caller's process credentials could not be read.") }
            return context(region, Self.principal(peer), peer.policyNames)
        case .tcp:
            if headers.contains(name: "x-forwarded-for") {
                throw AWSError.accessDenied("Requests relayed through a proxy (X-Forwarded-For) are refused.")
            }
            if settings.ephemeral && !settings.requireAuth {
                // A fixture access key still picks its account.
                guard let authorization else { return context(region, .anonymous, []) }
                let id = String(authorization.accessKeyID)
                return context(region, .accessKey(id), [], account: security.snapshot.keys[id]?.account)
            }
            if header == nil, hasValidToken(headers) {
                return context(region, .token, ["token"])
            }
            let (key, signedRegion) = try verifier.verify(
                authorization, method: request.head.method.rawValue, path: request.path, query: request.query,
                headers: headers,
                body: request.body, service: signingName)
            return context(signedRegion, .accessKey(key.id), ["access-key:\(key.principal)"], account: key.account)
        }
    }

    /// Identifies the caller of a native or extension request: the socket peer, or the token on TCP.
    /// - Parameters:
    ///   - request: the request.
    ///   - extensionRoute: the route is the Lambda extension's or the agent's, which take the config's
    ///     further tokens and headers.
    func native(_ request: HTTPRequest, extensionRoute: Bool = false) throws(NativeError) -> RequestContext {
        let headers = request.head.headers
        switch request.connection.transport {
        case .unix(let peer):
            guard let peer else {
                throw NativeError(
                    status: .forbidden, code: "AccessDenied",
                    message: "The caller's process credentials could not be read.")
            }
            return context(settings.region, Self.principal(peer), peer.policyNames)
        case .tcp:
            if headers.contains(name: "x-forwarded-for") { throw Self.proxied }
            if settings.ephemeral && !settings.requireAuth { return context(settings.region, .anonymous, []) }
            let valid =
                extensionRoute
                ? security.snapshot.settings.extensionTokens.accept(headers, dataDirToken: token)
                : hasValidToken(headers)
            guard valid else {
                throw NativeError(
                    status: .unauthorized, code: "Unauthorized",
                    message: "On TCP, send the token from <data-dir>/token in X-Aws-Parameters-Secrets-Token.")
            }
            return context(settings.region, .token, ["token"])
        }
    }

    /// Lets a caller reset an ephemeral daemon: anyone, as moto does; with `--require-auth`, only a
    /// caller authenticated as for any other call (the socket peer; on TCP a SigV4 signature under
    /// the `kms` or `ssm` signing name, or the token) whom the policy grants `admin:Reset`.
    /// - Parameter request: the reset request.
    func authorizeReset(_ request: HTTPRequest) throws(NativeError) {
        guard settings.requireAuth else { return }
        var context: RequestContext
        switch request.connection.transport {
        case .unix:
            context = try native(request)
        case .tcp:
            let scope = request.head.headers.first(name: "authorization").flatMap { SigV4Authorization($0) }
            let signingName = scope?.service == "ssm" ? "ssm" : "kms"
            do {
                context = try aws(request, signingName: signingName)
            } catch {
                let missing = error.code == .missingAuthenticationToken
                throw NativeError(
                    status: missing ? .unauthorized : .forbidden, code: missing ? "Unauthorized" : "AccessDenied",
                    message: missing
                        ? "With --require-auth, a reset must be SigV4-signed (service kms or ssm) on TCP."
                        : error.message)
            }
        }
        context.action = .reset
        do {
            try context.authorize([])
        } catch {
            throw NativeError(error)
        }
    }

    /// The refusal of a TCP request relayed by a proxy.
    static let proxied = NativeError(
        status: .forbidden, code: "AccessDenied",
        message: "Requests relayed through a proxy (X-Forwarded-For) are refused.")

    private func hasValidToken(_ headers: HTTPHeaders) -> Bool {
        guard let token, let presented = headers.first(name: Self.tokenHeader) else { return false }
        return token.constantTimeEquals(Array(presented.utf8))
    }

    private static func principal(_ peer: PeerIdentity) -> RequestContext.Principal {
        .process(
            pid: peer.credentials.pid, uid: peer.credentials.uid, gid: peer.credentials.gid, startTime: peer.startTime)
    }

    /// A request context under the policy in force now.
    /// - Parameter account: the access key's account; nil for the daemon's.
    private func context(
        _ region: String, _ principal: RequestContext.Principal, _ names: [String], account: String? = nil
    ) -> RequestContext {
        RequestContext(
            region: region, accountID: account ?? settings.accountID, principal: principal,
            authorization: Authorization(principals: names, policy: security.snapshot.settings.policy))
    }
}

/// A refusal or failure on a native endpoint: a 4xx/5xx with `{"error", "message"}`.
struct NativeError: Error, Equatable {
    let status: HTTPResponseStatus
    let code: String
    let message: String

    var response: HTTPResponse { .error(status, code: code, message: message) }
}

extension NativeError {
    /// An unexpected failure; it names no detail.
    static let internalError = NativeError(
        status: .internalServerError, code: "InternalError", message: "An internal error occurred.")

    /// The native answer for a domain failure: a status and the short code the native API documents.
    /// - Parameter error: what the domain threw.
    init(_ error: SealboxError) {
        let (status, code): (HTTPResponseStatus, String) =
            switch error.code {
            case .validation: (.badRequest, "BadRequest")
            case .accessDenied: (.forbidden, "AccessDenied")
            case .leaseNotFound: (.notFound, "LeaseNotFound")
            case .parameterNotFound: (.notFound, "ParameterNotFound")
            case .leaseExpired: (.forbidden, "LeaseExpired")
            case .leaseUsedUp: (.forbidden, "LeaseUsedUp")
            case .keyUnavailable: (.forbidden, "KeyUnavailable")
            // A secret lease fails as GetSecretValue does, by the same name without "Exception".
            case .resourceNotFound: (.notFound, "ResourceNotFound")
            case .invalidRequest: (.conflict, "InvalidRequest")
            case .decryptionFailure: (.forbidden, "DecryptionFailure")
            case .tooManyLeases: (.tooManyRequests, "TooManyLeases")
            case .storeUnavailable, .storeConflict: (.serviceUnavailable, "ServiceUnavailable")
            default: (.internalServerError, "InternalError")
            }
        self.init(status: status, code: code, message: error.message)
    }
}
