import Foundation
import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// The native lease API (`/v1/leases...`). Its routes answer on the event loop, touching no disk,
/// except the list of every lease, which can be long.
struct LeaseRoutes: Sendable {
    let leases: LeaseService

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

    /// The routes, each with its action; the lease a route names is read from the path's third
    /// segment.
    var routes: [Route] {
        func route(
            _ method: HTTPMethod,
            _ path: RoutePath,
            _ action: Action,
            _ placement: Route.Placement,
            _ work: @escaping @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse
        ) -> Route {
            Route(method, path, style: .native, family: .leases, .native(action, .resources, placement, work))
        }
        return [
            route(.POST, "/v1/leases/{id}/redeem", .redeemLease, .eventLoop, redeem),
            route(.POST, "/v1/leases", .createLease, .eventLoop, create),
            route(.POST, "/v1/leases/{id}/renew", .renewLease, .eventLoop, renew),
            route(.DELETE, "/v1/leases/{id}", .deleteLease, .eventLoop, delete),
            // Every lease, up to 100,000 of them: listed off the event loop.
            route(.GET, "/v1/leases", .listLeases, .threadPool, list),
            route(.POST, "/v1/leases/revoke", .revokeLeases, .eventLoop, revoke),
        ]
    }

    /// The lease id in `/v1/leases/{id}...`, recorded in the audit trail before the domain reads it.
    private static func leaseID(_ request: HTTPRequest, _ context: RequestContext) -> Substring {
        let id = request.pathSegments[2]
        context.trail?.setLease(id)
        return id
    }

    private func create(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(CreateLease.self, request)
        guard let name = body.name, !name.isEmpty else { throw NativeError.badRequest("name is required") }
        let lease = try leases.create(name: name, ttlSeconds: body.ttlSeconds, maxUses: body.maxUses, context: context)
        context.trail?.setLease(lease.id.description)
        return .json(.created, LeaseView(lease))
    }

    private func list(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        .json(.ok, LeaseList(leases: try leases.list(context: context).map(LeaseView.init)))
    }

    private func revoke(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(Revoke.self, request)
        if let id = body.leaseId {
            return .json(.ok, Revoked(revoked: try leases.revoke(id: id, context: context)))
        }
        guard let prefix = body.prefix, !prefix.isEmpty else {
            throw NativeError.badRequest("send {\"prefix\": \"/app/\"} or {\"leaseId\": \"...\"}")
        }
        return .json(.ok, Revoked(revoked: try leases.revoke(prefix: prefix, context: context)))
    }

    private func delete(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        try leases.delete(String(Self.leaseID(request, context)), context: context)
        return HTTPResponse(status: .noContent, body: .json([]))
    }

    private func redeem(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let (value, version) = try leases.redeem(Self.leaseID(request, context), context: context)
        var json = SensitiveJSON()
        json.secretString("value", value)
        json.number("version", version)
        return HTTPResponse(status: .ok, headers: .json, body: json.render())
    }

    private func renew(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let id = Self.leaseID(request, context)
        let body = try decode(RenewLease.self, request)
        return .json(.ok, LeaseView(try leases.renew(String(id), ttlSeconds: body.ttlSeconds, context: context)))
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: HTTPRequest) throws(NativeError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body.isEmpty ? Array("{}".utf8) : request.body))
        } catch {
            throw NativeError.badRequest("the body is not the JSON object this endpoint takes")
        }
    }
}

extension NativeError {
    static func badRequest(_ message: String) -> NativeError {
        NativeError(status: .badRequest, code: "BadRequest", message: message)
    }
}
