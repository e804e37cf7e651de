import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore

/// Sends each request to the endpoint that serves its path.
public struct Router: HTTPResponder {
    private let aws: AWSEndpoint
    private let native: NativeEndpoint
    private let admin: AdminEndpoint
    private let testing: TestingEndpoint
    private let recorder: CallRecorder?
    private let seed: FixtureSeed?
    private let metrics: ServerMetrics?
    private let registry: PrometheusCollectorRegistry?
    private let authenticator: Authenticator
    private let kms: KMS
    private let ssm: SSM
    private let leases: LeaseService
    private let settings: ServerSettings
    private let started: Double
    private let clock: any WallClock
    private let threadPool: NIOThreadPool

    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - ssm: the Parameter Store service.
    ///   - leases: the lease service.
    ///   - settings: how the daemon was started.
    ///   - security: the policy and the SigV4 access keys, replaced on SIGHUP.
    ///   - extensionToken: the `X-Aws-Parameters-Secrets-Token` accepted on TCP, if any.
    ///   - audit: the audit log, if any: requests then carry records (the server writes them), and the
    ///     admin endpoints read and verify it.
    ///   - recorder: records every call (ephemeral daemons), if any.
    ///   - seed: the fixtures applied at start, which a reset applies again.
    ///   - metrics: the daemon's metrics, and the registry `GET /metrics` renders, if kept.
    ///   - store: the store `GET /v1/backup` copies.
    ///   - threadPool: where writes run, off the event loops.
    ///   - clock: the time source.
    ///   - logger: for failures; never given secrets.
    public init(
        kms: KMS,
        ssm: SSM,
        leases: LeaseService,
        settings: ServerSettings,
        security: SecurityState,
        extensionToken: SecureBytes?,
        audit: AuditLog?,
        recorder: CallRecorder? = nil,
        seed: FixtureSeed? = nil,
        metrics: (ServerMetrics, PrometheusCollectorRegistry)? = nil,
        store: SQLiteStore? = nil,
        threadPool: NIOThreadPool,
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.kms = kms
        self.ssm = ssm
        self.settings = settings
        self.clock = clock
        self.threadPool = threadPool
        self.started = clock.now()
        self.leases = leases
        self.recorder = recorder
        self.seed = seed
        self.metrics = metrics?.0
        self.registry = metrics?.1
        let logging = CallLogging(audit: audit != nil, record: recorder != nil)
        let authenticator = Authenticator(settings: settings, security: security, token: extensionToken, clock: clock)
        self.authenticator = authenticator
        aws = AWSEndpoint(
            kms: kms, ssm: ssm, authenticator: authenticator, logging: logging, threadPool: threadPool,
            metrics: metrics?.0, logger: logger
        )
        native = NativeEndpoint(leases: leases, ssm: ssm, authenticator: authenticator, logging: logging)
        admin = AdminEndpoint(
            kms: kms, ssm: ssm, leases: leases, env: EnvironmentTokens(kms: kms), audit: audit, logging: logging,
            authenticator: authenticator, settings: settings, threadPool: threadPool, started: started, clock: clock,
            store: store)
        testing = TestingEndpoint(
            kms: kms, ssm: ssm, recorder: recorder, authenticator: authenticator, settings: settings,
            threadPool: threadPool)
    }

    public func respond(to request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult {
        switch request.path {
        case "/":
            return aws.handle(request, on: eventLoop)
        case "/moto-api/reset":
            return resetForTests(request)
        case "/systemsmanager/parameters/get":
            return .now(native.extensionGet(request))
        case "/v1/leases" where request.head.method == .GET:
            // Every lease, up to 100,000 of them: listed off the event loop (about 90 ms for 20,000).
            return .offLoop(threadPool, eventLoop) { native.leases(request) }
        case let path where path.isLeasesPath:
            return .now(native.leases(request))
        case "/v1/status", "/v1/audit", "/v1/audit/verify", "/v1/keys/rewrap", "/v1/keys/retire", "/v1/env/encrypt",
            "/v1/env/decrypt", "/v1/env/rewrap", "/v1/root/rotate", "/v1/backup":
            return admin.handle(request, on: eventLoop)
        case "/v1/test/calls", "/v1/test/inspect", "/v1/fixtures":
            return testing.handle(request, on: eventLoop)
        case "/metrics":
            return .now(prometheus(request))
        case "/health":
            guard request.head.method == .GET || request.head.method == .HEAD else {
                return .now(.error(.methodNotAllowed, code: "MethodNotAllowed", message: "use GET /health"))
            }
            return .now(
                .json(
                    .ok,
                    Health(
                        status: "ok", version: settings.version, uptimeSeconds: Int(clock.now() - started),
                        ephemeral: settings.ephemeral, keys: kms.keyCount, parameters: ssm.parameterCount,
                        leases: leases.activeCount)))
        default:
            return .now(.error(.notFound, code: "NotFound", message: "no endpoint at \(request.path)"))
        }
    }

    /// `GET /metrics`: the Prometheus text format, for callers the policy grants `metrics:Read`.
    private func prometheus(_ request: HTTPRequest) -> HTTPResponse {
        guard request.head.method == .GET else {
            return .error(.methodNotAllowed, code: "MethodNotAllowed", message: "use GET /metrics")
        }
        var context: RequestContext
        do {
            context = try authenticator.native(request)
            context.action = "metrics:Read"
            try context.authorize([])
        } catch let error as NativeError {
            return error.response
        } catch let error as SealboxError {
            return .error(.forbidden, code: "AccessDenied", message: error.message)
        } catch {
            return .error(.forbidden, code: "AccessDenied", message: "denied")
        }
        guard let registry, let metrics else {
            return .error(.notFound, code: "NotFound", message: "this daemon keeps no metrics")
        }
        metrics.activeLeases.record(leases.activeCount)
        var response = HTTPResponse(
            status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"],
            body: .json(Array((registry.emitToString() + metrics.renderLatencies()).utf8)))
        response.operation = "metrics:Read"
        return response
    }

    /// Wipes all state, as moto's server mode does; only an ephemeral daemon has this endpoint.
    private func resetForTests(_ request: HTTPRequest) -> RouteResult {
        guard settings.ephemeral else {
            return .now(.error(.notFound, code: "NotFound", message: "/moto-api/reset exists only with --ephemeral"))
        }
        guard request.head.method == .POST else {
            return .now(.error(.methodNotAllowed, code: "MethodNotAllowed", message: "use POST /moto-api/reset"))
        }
        do {
            leases.reset()
            try ssm.reset()
            try kms.reset()
            recorder?.clear()
            if let seed {
                let context = RequestContext(
                    region: settings.region, accountID: settings.accountID, principal: .anonymous)
                _ = try seed.fixtures.apply(kms: kms, ssm: ssm, context: context, origin: seed.origin)
            }
            return .now(.json(.ok, ["status": "ok"]))
        } catch {
            return .now(.error(.internalServerError, code: "InternalError", message: "reset failed"))
        }
    }

    public func tooManyConnections(_ head: HTTPRequestHead) -> HTTPResponse {
        let message = "Too many open connections (the cap is \(settings.maxConnections)); close idle ones and retry."
        if head.uri == "/" { return AWSEndpoint.errorResponse(.throttling(message), status: .tooManyRequests) }
        return .error(.tooManyRequests, code: "TooManyConnections", message: message)
    }

    public func requestTimeout(_ head: HTTPRequestHead) -> HTTPResponse {
        let message = "The request body did not arrive within \(settings.requestTimeoutSeconds) seconds."
        if head.uri == "/" { return AWSEndpoint.errorResponse(.requestTimeout(message)) }
        return .error(.requestTimeout, code: "RequestTimeout", message: message)
    }

    public func payloadTooLarge(_ head: HTTPRequestHead) -> HTTPResponse {
        let message = "The request body exceeds the limit of \(settings.maxBodyBytes) bytes"
        if head.uri == "/" { return AWSEndpoint.errorResponse(.requestTooLarge(message)) }
        return .error(.payloadTooLarge, code: "PayloadTooLarge", message: message)
    }

    private struct Health: Encodable {
        var status: String
        var version: String
        var uptimeSeconds: Int
        var ephemeral: Bool
        var keys: Int
        var parameters: Int
        var leases: Int
    }
}

extension Substring {
    /// `/v1/leases` or a path below it.
    fileprivate var isLeasesPath: Bool {
        var path = self
        return path.withUTF8 { $0.hasPrefix("/v1/leases", exactly: true) || $0.hasPrefix("/v1/leases/") }
    }
}
