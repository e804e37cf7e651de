import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAWS
import SealboxCore

/// The steps every routed request goes through, composed once so that a route is only its action:
/// authentication, naming the action (and starting its audit trail), the policy check, running the
/// work where it may run, answering a failure in the route's style, and attaching the audit record.
struct RouteStages: Sendable {
    let authenticator: Authenticator
    let logging: CallLogging
    let threadPool: NIOThreadPool
    /// Where writes record their intent; nil when the daemon keeps no audit log.
    let intents: AuditLog?

    /// Serves one route.
    /// - Parameters:
    ///   - route: the matched route.
    ///   - request: the request.
    ///   - eventLoop: the connection's event loop.
    func serve(_ route: Route, _ request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult {
        switch route.handler {
        case .open(let handler), .aws(let handler):
            handler(request, eventLoop)
        case .native(let action, let policy, let placement, let work):
            native(action, policy, placement, route, work, request, eventLoop)
        }
    }

    private func native(
        _ action: Action,
        _ policy: Route.Policy,
        _ placement: Route.Placement,
        _ route: Route,
        _ work: @escaping @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse,
        _ request: HTTPRequest,
        _ eventLoop: any EventLoop
    ) -> RouteResult {
        var context: RequestContext
        do {
            context = try authenticator.native(request, extensionRoute: route.family == .extension)
        } catch {
            var response = route.style == .agent ? AgentAnswer(error).response : error.response
            response.family = route.family
            return .now(response)
        }
        trace(&context, action)
        let traced = context
        let (style, family) = (route.style, route.family)
        switch placement {
        case .eventLoop:
            return .now(answer(request, traced, policy, style, family, work))
        case .threadPool:
            return .offLoop(threadPool, eventLoop) { answer(request, traced, policy, style, family, work) }
        case .write:
            traced.trail?.requestID = RequestID.next()
            return .offLoop(threadPool, eventLoop) {
                guard intend(traced) else {
                    var refusal = AuditEntry.Refusal(awsRequestID: nil).response
                    refusal.family = family
                    return refusal
                }
                return answer(request, traced, policy, style, family, work)
            }
        }
    }

    /// Writes a write's intent record before the write runs: a write must not take effect unless the
    /// audit log holds a record of it, and the outcome is recorded only after the change is made.
    /// Reads never come here, so the hot path writes nothing more.
    /// - Parameter context: the caller and the write's action; its trail carries the request id the
    ///   outcome record repeats.
    /// - Returns: whether the write may run: the intent is recorded, or nothing records writes.
    func intend(_ context: RequestContext) -> Bool {
        guard let intents, logging.audit, context.action.audited, let trail = context.trail else { return true }
        let intent = AuditTrail()
        intent.requestID = trail.requestID
        do {
            try intents.record(context, trail: intent, result: "intent")
            return true
        } catch {
            // The outcome record then names no request id: there is no intent for it to follow.
            trail.requestID = nil
            return false
        }
    }

    private func answer(
        _ request: HTTPRequest,
        _ context: RequestContext,
        _ policy: Route.Policy,
        _ style: Route.ErrorStyle,
        _ family: ServerMetrics.Family,
        _ work: (HTTPRequest, RequestContext) throws -> HTTPResponse
    ) -> HTTPResponse {
        var response: HTTPResponse
        let result: String
        do {
            if case .action = policy { try context.authorize([]) }
            response = try work(request, context)
            result = "allowed"
        } catch {
            (response, result) = style.answer(error)
        }
        response.family = family
        audit(&response, context, result: result)
        return response
    }

    /// Names the request's action, and starts its audit trail when anything will record the request.
    /// - Parameters:
    ///   - context: the authenticated caller.
    ///   - action: what the request does.
    func trace(_ context: inout RequestContext, _ action: Action) {
        context.action = action
        if logging.traces(action) { context.trail = AuditTrail() }
    }

    /// Attaches the request's audit record: the one place one is made. `RequestHandler` sends a
    /// response that carries a record only once the record is written, and the refusal instead when
    /// it cannot be (fail closed).
    /// - Parameters:
    ///   - response: the answer.
    ///   - context: the caller, the action and its trail.
    ///   - result: `allowed`, `denied` or `failed:<code>`.
    ///   - awsRequestID: the AWS request id, whose refusal is AWS-shaped.
    func audit(
        _ response: inout HTTPResponse,
        _ context: consuming RequestContext,
        result: String,
        awsRequestID: String? = nil
    ) {
        response.operation = context.action
        guard let trail = context.trail else { return }
        let logged = logging.audit && context.action.audited
        // A write's intent is in the log already: if its outcome record fails, the answer still goes out,
        // since refusing it would only make the client repeat a write that took effect.
        let intended = logged && trail.requestID != nil && intents != nil
        response.audit = AuditEntry(
            context: context, trail: trail, result: result, awsRequestID: awsRequestID, logged: logged,
            intended: intended)
    }
}

extension Route.ErrorStyle {
    /// The answer to a failed request, and the result its audit record states.
    /// - Parameter error: what the route's work threw.
    func answer(_ error: any Error) -> (response: HTTPResponse, result: String) {
        if let error = error as? NativeError { return (error.response, Self.result(status: error.status)) }
        switch self {
        case .native:
            let native = (error as? SealboxError).map(NativeError.init) ?? .internalError
            return (native.response, Self.result(status: native.status))
        case .admin:
            guard let error = error as? SealboxError else {
                return (NativeError.internalError.response, Self.result(status: .internalServerError))
            }
            // The admin API names errors as the AWS APIs do, which its callers already know.
            let wire = AWSError(error)
            let type = wire.type
            let message =
                error.message.isEmpty && error.code == .invalidCiphertext
                ? "The ciphertext or token does not open: tampered with, made for another name, or under a retired key version."
                : error.message
            let status: HTTPResponseStatus =
                switch error.code {
                case .accessDenied: .forbidden
                case .notFound, .parameterNotFound: .notFound
                case .invalidState, .disabled: .conflict
                default: HTTPResponseStatus(statusCode: wire.httpStatus)
                }
            return (
                .error(status, code: type, message: message), error.code == .accessDenied ? "denied" : "failed:\(type)"
            )
        case .aws, .agent:
            if let refusal = error as? AgentAnswer {
                return (refusal.response, Self.result(status: refusal.status))
            }
            let error = AWSError(any: error)
            return (AWSEndpoint.errorResponse(error), error.code == .accessDenied ? "denied" : "failed:\(error.type)")
        }
    }

    private static func result(status: HTTPResponseStatus) -> String {
        status.code == 403 ? "denied" : "failed:\(status.code)"
    }
}
