import Foundation
import NIOHTTP1
import SealboxAPI
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// The native lease API (`/v1/leases...`). Its routes answer on the event loop, touching no disk,
/// except the list of every lease, which can be long.
struct LeaseRoutes: Sendable {
    let leases: LeaseService

    /// The routes, each with its action; the lease a route names is read from the path's third
    /// segment.
    var routes: [Route] {
        let group = RouteGroup(style: .native, family: .leases, policy: .resources)
        return [
            group.route(.POST, RoutePath("\(NativePath.leases)/{id}/redeem"), .redeemLease, .eventLoop, redeem),
            group.route(.POST, RoutePath(NativePath.leases), .createLease, .eventLoop, create),
            group.route(.POST, RoutePath("\(NativePath.leases)/{id}/renew"), .renewLease, .eventLoop, renew),
            group.route(.DELETE, RoutePath("\(NativePath.leases)/{id}"), .deleteLease, .eventLoop, delete),
            // Every lease, up to 100,000 of them: listed off the event loop.
            group.route(.GET, RoutePath(NativePath.leases), .listLeases, .threadPool, list),
            // A revocation by prefix is published to a shared store: a write, off the event loop.
            group.route(.POST, RoutePath(NativePath.revokeLeases), .revokeLeases, .threadPool, revoke),
        ]
    }

    /// The lease id in `/v1/leases/{id}...`, recorded in the audit trail before the domain reads it.
    /// The route table matched the path, so the id is the segment after the prefix.
    private static func leaseID(_ request: HTTPRequest, _ context: RequestContext) -> Substring {
        let id = request.pathSegments[2]
        context.trail?.setLease(id)
        return id
    }

    private func create(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(CreateLeaseRequest.self, request)
        let lease: Lease
        switch (body.name, body.secretId) {
        case (let name?, nil) where !name.isEmpty:
            guard body.versionId == nil, body.versionStage == nil else {
                throw NativeError.badRequest("versionId and versionStage go with secretId, not name")
            }
            lease = try leases.create(name: name, ttlSeconds: body.ttlSeconds, maxUses: body.maxUses, context: context)
        case (nil, let secretId?) where !secretId.isEmpty:
            lease = try leases.create(
                secretId: secretId, versionID: body.versionId, stage: body.versionStage, ttlSeconds: body.ttlSeconds,
                maxUses: body.maxUses, context: context)
        case (nil, nil):
            throw NativeError.badRequest("name (a parameter) or secretId (a Secrets Manager secret) is required")
        case (_?, _?):
            throw NativeError.badRequest("send name (a parameter) or secretId (a Secrets Manager secret), not both")
        default:
            throw NativeError.badRequest("name and secretId must not be empty")
        }
        context.trail?.setLease(lease.id.description)
        return .json(.created, LeaseInfo(lease))
    }

    private func list(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        .json(.ok, LeaseList(leases: try leases.list(context: context).map(LeaseInfo.init)))
    }

    private func revoke(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(RevokeLeasesRequest.self, request)
        if let id = body.leaseId {
            return .json(.ok, RevokedCount(revoked: try leases.revoke(id: id, context: context)))
        }
        guard let prefix = body.prefix, !prefix.isEmpty else {
            throw NativeError.badRequest("send {\"prefix\": \"/app/\"} or {\"leaseId\": \"...\"}")
        }
        return .json(.ok, RevokedCount(revoked: try leases.revoke(prefix: prefix, context: context)))
    }

    private func delete(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        try leases.delete(String(Self.leaseID(request, context)), context: context)
        return HTTPResponse(status: .noContent, body: .json([]))
    }

    private func redeem(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let redeemed = try leases.redeem(Self.leaseID(request, context), context: context)
        var json = SensitiveJSON()
        switch redeemed.version {
        case .parameter(let version):
            json.secretString(RedeemedValue.valueMember, redeemed.value)
            json.number(RedeemedValue.versionMember, version)
        case .secret(let id, let binary):
            if binary {
                json.base64(RedeemedValue.binaryMember, redeemed.value)
            } else {
                json.secretString(RedeemedValue.valueMember, redeemed.value)
            }
            json.string(RedeemedValue.versionIdMember, id)
        }
        return HTTPResponse(status: .ok, headers: .json, body: json.render())
    }

    private func renew(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let id = Self.leaseID(request, context)
        let body = try decode(RenewLeaseRequest.self, request)
        return .json(.ok, LeaseInfo(try leases.renew(String(id), ttlSeconds: body.ttlSeconds, context: context)))
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

extension LeaseInfo {
    /// The lease as the API describes it.
    /// - Parameter lease: the lease.
    init(_ lease: Lease) {
        switch lease.target {
        case .parameter(let version):
            self.init(
                leaseId: lease.id.description, name: lease.name, expiresAt: lease.expiresAt, version: version,
                maxUses: lease.maxUses, uses: lease.uses)
        case .secret(_, let versionID, let stage, let createdVersion):
            self.init(
                leaseId: lease.id.description, secretId: lease.name, expiresAt: lease.expiresAt,
                versionId: versionID ?? createdVersion, versionStage: stage, maxUses: lease.maxUses, uses: lease.uses)
        }
    }
}
