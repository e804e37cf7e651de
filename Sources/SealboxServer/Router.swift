import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore

/// Sends each request to the route that serves its path and method, through the ``RouteStages``.
public struct Router: HTTPResponder {
    private let table: RouteTable
    private let stages: RouteStages
    private let settings: ServerSettings
    /// TCP requests must name a loopback `Host` (no `--allow-remote`).
    private let checksHost: Bool
    private let storeStatus: StoreStatus?

    /// - Parameters:
    ///   - kms: the KMS service.
    ///   - ssm: the Parameter Store service.
    ///   - secrets: the Secrets Manager service, if served.
    ///   - leases: the lease service.
    ///   - settings: how the daemon was started.
    ///   - security: the policy and the SigV4 access keys, replaced on SIGHUP.
    ///   - extensionToken: the `X-Aws-Parameters-Secrets-Token` accepted on TCP, if any.
    ///   - audit: the audit log, if any: requests then carry records (the server writes them), and the
    ///     admin endpoints read and verify it.
    ///   - recorder: records every call (ephemeral daemons), if any.
    ///   - served: records what each process was served, for `sealbox inspect`, if anything.
    ///   - seed: the fixtures applied at start, which a reset applies again.
    ///   - metrics: the daemon's metrics, and the registry `GET /metrics` renders, if kept.
    ///   - store: the store `GET /v1/backup` copies.
    ///   - storeStatus: a shared store's reachability: reads are refused once it has been down too long.
    ///   - threadPool: where writes run, off the event loops.
    ///   - clock: the time source.
    ///   - logger: for failures; never given secrets.
    public init(
        kms: KMS,
        ssm: SSM,
        secrets: SecretsManager? = nil,
        leases: LeaseService,
        settings: ServerSettings,
        security: SecurityState,
        extensionToken: SecureBytes?,
        audit: AuditLog?,
        recorder: CallRecorder? = nil,
        served: ServedRecord? = nil,
        seed: FixtureSeed? = nil,
        metrics: (ServerMetrics, PrometheusCollectorRegistry)? = nil,
        store: (any SealboxStorage)? = nil,
        storeStatus: StoreStatus? = nil,
        threadPool: NIOThreadPool,
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.settings = settings
        checksHost = !settings.allowRemote
        self.storeStatus = storeStatus
        let started = clock.now()
        let stages = RouteStages(
            authenticator: Authenticator(settings: settings, security: security, token: extensionToken, clock: clock),
            logging: CallLogging(audit: audit != nil, record: recorder != nil), threadPool: threadPool, intents: audit)
        self.stages = stages
        let aws = AWSEndpoint(
            kms: kms, ssm: ssm, secrets: secrets, stages: stages, metrics: metrics?.0, logger: logger)
        let admin = AdminRoutes(
            kms: kms, ssm: ssm, secrets: secrets, leases: leases, env: EnvironmentTokens(kms: kms), audit: audit,
            settings: settings,
            started: started, clock: clock, store: store, storeStatus: storeStatus)
        let testing = TestingRoutes(
            kms: kms, ssm: ssm, secrets: secrets, recorder: recorder, served: served, settings: settings)
        table = RouteTable(
            [aws.route] + LeaseRoutes(leases: leases).routes + [ExtensionRoute(ssm: ssm).route]
                + (secrets.map { [SecretsExtensionRoute(secrets: $0).route] + SecretsAgentRoute(secrets: $0).routes }
                    ?? []) + admin.routes
                + testing.routes
                + DaemonRoutes(
                    kms: kms, ssm: ssm, secrets: secrets, leases: leases, settings: settings,
                    authenticator: stages.authenticator,
                    recorder: recorder, served: served, seed: seed,
                    metrics: metrics?.0, registry: metrics?.1, started: started, clock: clock,
                    storeStatus: storeStatus
                ).routes)
    }

    public func respond(to request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult {
        if checksHost, case .tcp = request.connection.transport,
            !(request.head.headers.first(name: "host").map {
                LoopbackHost.accepts($0, port: request.connection.localPort)
            } ?? false)
        {
            return .now(foreignHost(request))
        }
        guard let entry = table.entry(for: request.path) else {
            return .now(.error(.notFound, code: "NotFound", message: "no endpoint at \(request.path)"))
        }
        guard let route = entry.route(for: request.head.method) else {
            // A path that takes the rest (the agent's /v1/{secretId}) claims only its methods: any
            // other under it is no endpoint, as before it was served.
            if entry.path.takesRest {
                return .now(.error(.notFound, code: "NotFound", message: "no endpoint at \(request.path)"))
            }
            var response =
                entry.style == .agent
                ? AgentAnswer(.methodNotAllowed, "Not allowed").response
                : HTTPResponse.error(
                    .methodNotAllowed, code: "MethodNotAllowed", message: "use \(entry.allowedMethods) \(entry.path)")
            response.headers.add(name: "Allow", value: entry.allowedMethods)
            response.family = entry.family
            return .now(response)
        }
        // A shared store down for longer than store.maxStaleSeconds: memory may be behind the fleet.
        if let storeStatus, storeStatus.refusesReads, route.family != .other, route.family != .admin {
            var response = route.style.answer(
                SealboxError.storeUnavailable(
                    "The store has been unreachable for longer than store.maxStaleSeconds; try again later.")
            ).response
            response.family = route.family
            return .now(response)
        }
        return stages.serve(route, request, on: eventLoop)
    }

    public func tooManyConnections(_ head: HTTPRequestHead) -> HTTPResponse {
        let message =
            "Too many open connections (the cap is \(settings.limits.maxConnections)); close idle ones and retry."
        return refusal(head, aws: .throttling(message), status: .tooManyRequests, code: "TooManyConnections", message)
    }

    public func requestTimeout(_ head: HTTPRequestHead) -> HTTPResponse {
        let message = "The request body did not arrive within \(settings.limits.requestTimeoutSeconds) seconds."
        return refusal(head, aws: .requestTimeout(message), status: .requestTimeout, code: "RequestTimeout", message)
    }

    public func payloadTooLarge(_ head: HTTPRequestHead) -> HTTPResponse {
        let message = "The request body exceeds the limit of \(settings.limits.maxBodyBytes) bytes"
        return refusal(head, aws: .requestTooLarge(message), status: .payloadTooLarge, code: "PayloadTooLarge", message)
    }

    /// The refusal of a TCP request whose `Host` is not a loopback name (DNS rebinding), made before
    /// anything else looks at it.
    private func foreignHost(_ request: HTTPRequest) -> HTTPResponse {
        let message =
            "This daemon answers TCP requests only for a loopback Host (localhost, 127.0.0.1, [::1], with its port); start it with --allow-remote to serve other names."
        return refusal(request.head, aws: .accessDenied(message), status: .forbidden, code: "ForbiddenHost", message)
    }

    /// A refusal made before routing, in the style of the route the request was for.
    private func refusal(
        _ head: HTTPRequestHead,
        aws error: AWSError,
        status: HTTPResponseStatus,
        code: String,
        _ message: String
    ) -> HTTPResponse {
        let (style, family) = table.refusalTraits(of: HTTPRequest.split(head.uri).path)
        var response: HTTPResponse
        if style == .aws {
            // A throttle is 429 and a foreign Host 403 for every client; other AWS errors carry their
            // own status.
            let keeps = error.code == .throttling || error.code == .accessDenied
            response = AWSEndpoint.errorResponse(error, status: keeps ? status : nil)
        } else {
            response = .error(status, code: code, message: message)
        }
        response.family = family
        return response
    }
}
