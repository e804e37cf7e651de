import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAPI
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// `POST /` with `X-Amz-Target: <Service>.<Operation>`: AWS JSON 1.1 for KMS, SSM and Secrets Manager. The target
/// names the operation, and so the action, the signing name and where it runs: reads inline on the
/// event loop, writes on the thread pool (some in group commits).
struct AWSEndpoint: Sendable {
    let kms: KMS
    let ssm: SSM
    let secrets: SecretsManager?
    let stages: RouteStages
    let logger: Logger
    /// The writes that commit in groups, by `<signing name>:<operation>`.
    private let groups: [String: GroupCommit]

    init(kms: KMS, ssm: SSM, secrets: SecretsManager?, stages: RouteStages, metrics: ServerMetrics?, logger: Logger) {
        self.kms = kms
        self.ssm = ssm
        self.secrets = secrets
        self.stages = stages
        self.logger = logger
        func groups<Service>(_ operations: [String: AWSOperation<Service>], on service: Service)
            -> [(String, GroupCommit)]
        {
            operations.values.compactMap { operation in
                let action = operation.action.name
                return operation.group(on: service).map { commit in
                    let counters = metrics?.groupCommits(of: action)
                    let group = GroupCommit(pool: stages.threadPool, counters: counters, commit: commit) { call in
                        stages.intend(call.context) ? nil : Self.auditRefusal
                    }
                    return (action, group)
                }
            }
        }
        self.groups = Dictionary(
            uniqueKeysWithValues: groups(KMS.operations, on: kms) + groups(SSM.operations, on: ssm))
    }

    /// The route: any method (the operation's own error answers all but POST), AWS-shaped errors.
    var route: Route {
        Route(nil, RoutePath(NativePath.aws), style: .aws, family: .aws, .aws(handle))
    }

    func handle(_ request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult {
        let requestID = RequestID.next()
        do throws(AWSError) {
            guard request.head.method == .POST else {
                throw AWSError.unknownOperation("AWS JSON operations are called with POST /")
            }
            let target = request.head.headers.first(name: "x-amz-target") ?? ""
            let dot = target.utf8.firstIndex(of: UInt8(ascii: ".")) ?? target.endIndex
            let name = dot < target.endIndex ? String(target[target.utf8.index(after: dot)...]) : ""
            switch String(target[..<dot]) {
            case KMS.targetPrefix:
                if let operation = KMS.operations[name] {
                    return try run(operation, on: kms, signingName: KMS.signingName, request, requestID, eventLoop)
                }
            case SSM.targetPrefix:
                if let operation = SSM.operations[name] {
                    return try run(operation, on: ssm, signingName: SSM.signingName, request, requestID, eventLoop)
                }
            case SecretsManager.targetPrefix:
                if let secrets, let operation = SecretsManager.operations[name] {
                    return try run(
                        operation, on: secrets, signingName: SecretsManager.signingName, request, requestID, eventLoop)
                }
            default:
                break
            }
            throw AWSError.unknownOperation(
                target.isEmpty ? "Missing X-Amz-Target header" : "Unknown operation \(target)")
        } catch {
            return .now(Self.errorResponse(error, requestID: requestID))
        }
    }

    /// Authenticates, then runs a read inline on the event loop, or a write or slow read on the thread pool.
    private func run<Service: Sendable>(
        _ operation: AWSOperation<Service>,
        on service: Service,
        signingName: String,
        _ request: HTTPRequest,
        _ requestID: String,
        _ eventLoop: any EventLoop
    ) throws(AWSError) -> RouteResult {
        var authenticated = try stages.authenticator.aws(request, signingName: signingName)
        stages.trace(&authenticated, operation.action)
        guard operation.writes || operation.slow else {
            let context = authenticated
            return .now(
                respond(requestID, context) { () throws(AWSError) in
                    try operation(service, body: request.body, context: context)
                })
        }
        // A write's request id also marks that its intent is recorded before it runs.
        if operation.writes { authenticated.trail?.requestID = requestID }
        let context = authenticated
        let answered: EventLoopFuture<HTTPResponse>
        if !operation.writes {
            answered = stages.threadPool.runIfActive(eventLoop: eventLoop) {
                respond(requestID, context) { () throws(AWSError) in
                    try operation(service, body: request.body, context: context)
                }
            }
        } else if let group = groups[context.action.name] {
            answered = group.submit(AWSCall(body: request.body, context: context), on: eventLoop).map { answer in
                respond(requestID, context) { () throws(AWSError) in try answer.get() }
            }
        } else {
            answered = stages.threadPool.runIfActive(eventLoop: eventLoop) {
                guard stages.intend(context) else { return Self.auditUnavailable(requestID) }
                return respond(requestID, context) { () throws(AWSError) in
                    try operation(service, body: request.body, context: context)
                }
            }
        }
        return .later(
            answered.recover { _ in
                // The pool refuses work only while shutting down.
                Self.errorResponse(.internalServer("The daemon is shutting down"), requestID: requestID)
            })
    }

    private func respond(
        _ requestID: String,
        _ context: RequestContext,
        _ body: () throws(AWSError) -> ResponseBody
    ) -> HTTPResponse {
        var response: HTTPResponse
        let result: String
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/x-amz-json-1.1")
            headers.add(name: "x-amzn-RequestId", value: requestID)
            response = HTTPResponse(status: .ok, headers: headers, body: try body())
            response.family = .aws
            result = "allowed"
        } catch {
            if error.httpStatus >= 500 {
                logger.error("request failed", metadata: ["requestId": "\(requestID)", "error": "\(error)"])
            }
            response = Self.errorResponse(error, requestID: requestID)
            result = error.code == .accessDenied ? "denied" : "failed:\(error.type)"
        }
        stages.audit(&response, context, result: result, awsRequestID: requestID)
        return response
    }

    static func auditUnavailable(_ requestID: String) -> HTTPResponse {
        errorResponse(auditRefusal, requestID: requestID)
    }

    private static let auditRefusal = AWSError.serviceUnavailable(
        "The audit log cannot be written; the request was refused.")

    static func errorResponse(
        _ error: AWSError,
        requestID: String = RequestID.next(),
        status: HTTPResponseStatus? = nil
    ) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-amz-json-1.1")
        headers.add(name: "x-amzn-RequestId", value: requestID)
        headers.add(name: "X-Amzn-ErrorType", value: error.type)
        var response = HTTPResponse(
            status: status ?? HTTPResponseStatus(statusCode: error.httpStatus), headers: headers,
            body: NativeJSON.encode(["__type": error.type, "message": error.message]))
        response.family = .aws
        return response
    }
}
