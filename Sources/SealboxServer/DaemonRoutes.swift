import NIOCore
import NIOHTTP1
import Prometheus
import SealboxAPI
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// The daemon's own endpoints: `GET /health`, `GET /metrics` and an ephemeral daemon's
/// `POST /moto-api/reset`.
struct DaemonRoutes: Sendable {
    let kms: KMS
    let ssm: SSM
    let secrets: SecretsManager?
    let leases: LeaseService
    let settings: ServerSettings
    let authenticator: Authenticator
    let recorder: CallRecorder?
    let served: ServedRecord?
    let seed: FixtureSeed?
    let metrics: ServerMetrics?
    let registry: PrometheusCollectorRegistry?
    let started: Double
    let clock: any WallClock
    let storeStatus: StoreStatus?

    /// The routes: health, metrics and an ephemeral daemon's reset.
    var routes: [Route] {
        let healthCheck = Route.Handler.open { _, _ in .now(health()) }
        return [
            Route(.GET, RoutePath(NativePath.health), style: .native, family: .other, healthCheck),
            Route(.HEAD, RoutePath(NativePath.health), style: .native, family: .other, healthCheck),
            Route(
                .GET, RoutePath(NativePath.metrics), style: .native, family: .admin,
                .native(.readMetrics, .action, .eventLoop) { _, _ in try prometheus() }),
        ]
            + (settings.ephemeral
                ? [
                    Route(
                        .POST, RoutePath(NativePath.reset), style: .native, family: .other,
                        .open { request, _ in .now(reset(request)) })
                ] : [])
    }

    private func health() -> HTTPResponse {
        let degraded = storeStatus?.degradedReason
        // Degraded still serves from memory (200); once reads are refused, the daemon is unavailable (503).
        return .json(
            storeStatus?.refusesReads == true ? .serviceUnavailable : .ok,
            Health(
                status: degraded == nil ? "ok" : "degraded", reason: degraded, version: settings.version,
                uptimeSeconds: Int(clock.now() - started),
                ephemeral: settings.ephemeral, keys: kms.keyCount, parameters: ssm.parameterCount,
                secrets: secrets?.secretCount, leases: leases.activeCount,
                memoryLocked: MemoryLocking.unlockedBlocks == 0))
    }

    /// `GET /metrics`: the Prometheus text format, for callers the policy grants `metrics:Read`.
    private func prometheus() throws(NativeError) -> HTTPResponse {
        guard let registry, let metrics else {
            throw NativeError(status: .notFound, code: "NotFound", message: "this daemon keeps no metrics")
        }
        metrics.activeLeases.record(leases.activeCount)
        metrics.unlockedMemoryBlocks.record(MemoryLocking.unlockedBlocks)
        return HTTPResponse(
            status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4"],
            body: .json(Array((registry.emitToString() + metrics.renderLatencies()).utf8)))
    }

    /// Wipes all state, as moto's server mode does; only an ephemeral daemon has this route. With
    /// `--require-auth` the caller must authenticate, as for every other call.
    private func reset(_ request: HTTPRequest) -> HTTPResponse {
        do throws(NativeError) {
            try authenticator.authorizeReset(request)
        } catch {
            return error.response
        }
        do {
            leases.reset()
            try ssm.reset()
            try secrets?.reset()
            try kms.reset()
            recorder?.clear()
            served?.clear()
            if let seed {
                let context = RequestContext(
                    region: settings.region, accountID: settings.accountID, principal: .anonymous)
                _ = try seed.fixtures.apply(
                    kms: kms, ssm: ssm, secrets: secrets, context: context, origin: seed.origin)
            }
            return .json(.ok, ResetResult(status: "ok"))
        } catch {
            return .error(.internalServerError, code: "InternalError", message: "reset failed")
        }
    }
}
