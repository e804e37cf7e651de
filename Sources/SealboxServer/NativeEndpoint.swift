import Foundation
import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// The native lease API (`/v1/leases...`) and the AWS Parameters and Secrets Lambda Extension's
/// `GET /systemsmanager/parameters/get`. Both answer on the event loop: they touch no disk.
struct NativeEndpoint: Sendable {
    let leases: LeaseService
    let ssm: SSM
    let authenticator: Authenticator
    let logging: CallLogging

    private struct CreateLease: Decodable {
        var name: String?
        var ttlSeconds: Int?
        var maxUses: Int?
    }

    private struct RenewLease: Decodable {
        var ttlSeconds: Int?
    }

    private struct Revoke: Decodable {
        var prefix: String?
        var leaseId: String?
    }

    private struct LeaseView: Encodable {
        var leaseId: String
        var name: String
        var expiresAt: Double
        var version: Int
        var maxUses: Int
        var uses: Int

        init(_ lease: Lease) {
            leaseId = lease.id.description
            name = lease.name
            expiresAt = lease.expiresAt
            version = lease.version
            maxUses = lease.maxUses
            uses = lease.uses
        }
    }

    private struct LeaseList: Encodable {
        var leases: [LeaseView]
    }

    private struct Revoked: Encodable {
        var revoked: Int
    }

    /// Routes `/v1/leases`, `/v1/leases/revoke`, `/v1/leases/{id}`, `/v1/leases/{id}/redeem|renew`,
    /// and audits each call.
    func leases(_ request: HTTPRequest) -> HTTPResponse {
        var context: RequestContext
        do {
            context = try authenticator.native(request)
        } catch {
            return error.response
        }
        let route = LeaseRoute(request.head.method, request.pathSegments)
        context.action = route.action
        if logging.traces(audited: true) {
            context.trail = AuditTrail()
            if let id = route.leaseID { context.trail?.setLease(id) }
        }
        var response = leases(request, route, context)
        attachAudit(to: &response, context)
        return response
    }

    /// What a `/v1/leases` request asks for, read from its method and path once.
    private enum LeaseRoute {
        case create
        case list
        case revoke
        case delete(Substring)
        case redeem(Substring)
        case renew(Substring)
        case unknown

        init(_ method: HTTPMethod, _ parts: PathSegments) {
            switch (method, parts.count) {
            case (.POST, 2): self = .create
            case (.GET, 2): self = .list
            case (.POST, 3) where parts[2] == "revoke": self = .revoke
            case (.DELETE, 3): self = .delete(parts[2])
            case (.POST, 4):
                let verb = parts[3]
                self = verb == "redeem" ? .redeem(parts[2]) : verb == "renew" ? .renew(parts[2]) : .unknown
            default: self = .unknown
            }
        }

        var action: String {
            switch self {
            case .create: "lease:Create"
            case .list: "admin:ListLeases"
            case .revoke: "admin:RevokeLeases"
            case .delete: "lease:Delete"
            case .redeem: "lease:Redeem"
            case .renew: "lease:Renew"
            case .unknown: "lease:Unknown"
            }
        }

        /// The lease the request names, for its audit record.
        var leaseID: Substring? {
            switch self {
            case .delete(let id), .redeem(let id), .renew(let id): id
            case .create, .list, .revoke, .unknown: nil
            }
        }
    }

    /// Attaches the request's audit record; the answer is sent only once it is written (fail closed).
    /// In place, so the response is not copied (a copy was 0.9% of a redeem, even when consumed).
    private func attachAudit(to response: inout HTTPResponse, _ context: consuming RequestContext) {
        response.operation = context.action
        guard let trail = context.trail else { return }
        let code = response.status.code
        let result = code < 300 ? "allowed" : code == 403 ? "denied" : "failed:\(code)"
        response.audit = AuditEntry(context: context, trail: trail, result: result, logged: logging.audit)
    }

    private func leases(_ request: HTTPRequest, _ route: LeaseRoute, _ context: RequestContext) -> HTTPResponse {
        do throws(NativeError) {
            switch route {
            case .create:
                let body = try decode(CreateLease.self, request)
                guard let name = body.name, !name.isEmpty else { throw NativeError.badRequest("name is required") }
                let lease = try run { () throws(SealboxError) in
                    try leases.create(name: name, ttlSeconds: body.ttlSeconds, maxUses: body.maxUses, context: context)
                }
                context.trail?.setLease(lease.id.description)
                return .json(.created, LeaseView(lease))
            case .list:
                let all = try run { () throws(SealboxError) in try leases.list(context: context) }
                return .json(.ok, LeaseList(leases: all.map(LeaseView.init)))
            case .revoke:
                let body = try decode(Revoke.self, request)
                if let id = body.leaseId {
                    let count = try run { () throws(SealboxError) in try leases.revoke(id: id, context: context) }
                    return .json(.ok, Revoked(revoked: count))
                }
                guard let prefix = body.prefix, !prefix.isEmpty else {
                    throw NativeError.badRequest("send {\"prefix\": \"/app/\"} or {\"leaseId\": \"...\"}")
                }
                let count = try run { () throws(SealboxError) in try leases.revoke(prefix: prefix, context: context) }
                return .json(.ok, Revoked(revoked: count))
            case .delete(let id):
                try run { () throws(SealboxError) in try leases.delete(String(id), context: context) }
                return HTTPResponse(status: .noContent, body: .json([]))
            case .redeem(let id):
                let (value, version) = try run { () throws(SealboxError) in
                    try leases.redeem(id, context: context)
                }
                var json = SensitiveJSON()
                json.secretString("value", value)
                json.number("version", version)
                return HTTPResponse(status: .ok, headers: .json, body: json.render())
            case .renew(let id):
                let body = try decode(RenewLease.self, request)
                let lease = try run { () throws(SealboxError) in
                    try leases.renew(String(id), ttlSeconds: body.ttlSeconds, context: context)
                }
                return .json(.ok, LeaseView(lease))
            case .unknown:
                throw NativeError(
                    status: .notFound, code: "NotFound",
                    message: "no endpoint \(request.head.method.rawValue) \(request.path)")
            }
        } catch {
            return error.response
        }
    }

    /// `GET /systemsmanager/parameters/get?name=..&version=..|label=..&withDecryption=true`, answered with
    /// GetParameter's JSON plus `ResultMetadata`, as the Lambda extension does.
    func extensionGet(_ request: HTTPRequest) -> HTTPResponse {
        do throws(NativeError) {
            guard request.head.method == .GET else {
                throw NativeError(status: .methodNotAllowed, code: "MethodNotAllowed", message: "use GET")
            }
            var context = try authenticator.native(request)
            context.action = "ssm:GetParameter"
            if logging.traces(audited: true) { context.trail = AuditTrail() }
            guard var name = request.queryItem("name"), !name.isEmpty else {
                return AWSEndpoint.errorResponse(.validation("The name query parameter is required."))
            }
            switch (request.queryItem("version"), request.queryItem("label")) {
            case (.some, .some):
                return AWSEndpoint.errorResponse(.validation("Send version or label, not both."))
            case (.some(let version), nil): name += ":" + version
            case (nil, .some(let label)): name += ":" + label
            case (nil, nil): break
            }
            let decrypt = request.queryItem("withDecryption")?.lowercased() == "true"
            var response: HTTPResponse
            do {
                let body = try ssm.parameterResponse(name, decrypt: decrypt, resultMetadata: true, context)
                response = HTTPResponse(status: .ok, headers: .json, body: body)
            } catch {
                response = AWSEndpoint.errorResponse(AWSError(any: error))
            }
            attachAudit(to: &response, context)
            return response
        } catch {
            return error.response
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: HTTPRequest) throws(NativeError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body.isEmpty ? Array("{}".utf8) : request.body))
        } catch {
            throw NativeError.badRequest("the body is not the JSON object this endpoint takes")
        }
    }

    private func run<R>(_ body: () throws(SealboxError) -> R) throws(NativeError) -> R {
        do {
            return try body()
        } catch {
            throw NativeError(error)
        }
    }
}

extension NativeError {
    static func badRequest(_ message: String) -> NativeError {
        NativeError(status: .badRequest, code: "BadRequest", message: message)
    }
}
