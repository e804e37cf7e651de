import Dispatch
import Foundation
import Logging
import SealboxCore
import SealboxCrypto
import ServiceLifecycle

/// Follows a shared store: applies the changes other daemons commit, as soon as PostgreSQL
/// announces them (`LISTEN sealbox_changes`) and every `store.resyncSeconds` besides, so that a
/// lost notification or connection costs at most that long. It also watches the store's health:
/// during an outage it retries the connection with backoff and moves the ``StoreStatus`` that
/// `/health` and the read gate look at.
public struct StoreFeedService: Service {
    private let store: any SharedStore
    private let follower: StoreFollower
    private let status: StoreStatus
    private let settings: StoreSettings
    private let metrics: ServerMetrics?
    private let logger: Logger
    /// Catch-ups block on the store and on the services' writer locks: never on the cooperative pool.
    private let queue = DispatchQueue(label: "sealbox.store-feed")
    /// Probes run on a queue of their own, one at a time.
    private let probes = DispatchQueue(label: "sealbox.store-probe")
    private let probing = Locked(false)

    /// - Parameters:
    ///   - store: the shared store.
    ///   - follower: applies each change to what this daemon serves.
    ///   - status: what `/health` and the read gate look at.
    ///   - settings: the config's `store:` section.
    ///   - metrics: the store's gauges and counters, if kept.
    ///   - logger: reports outages and failed catch-ups.
    public init(
        store: any SharedStore, follower: StoreFollower, status: StoreStatus, settings: StoreSettings,
        metrics: ServerMetrics?, logger: Logger
    ) {
        self.store = store
        self.follower = follower
        self.status = status
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        store.follow { [metrics] change in
            try follower.apply(change)
            metrics?.storeChangesApplied.increment()
        }
        metrics?.storeUp.record(1)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await listen() }
                group.addTask { await watch() }
                await group.waitForAll()
            }
        }
    }

    /// Holds a `LISTEN` connection and catches up on each notification; after a lost connection,
    /// connects again with backoff and catches up once, for what was missed.
    private func listen() async {
        var backoff = 0.05
        while !Task.isCancelled {
            let started = Date().timeIntervalSince1970
            do {
                try await store.listen { await catchUp() }
            } catch {
                // The shared connection's watcher reports the outage; this one only reconnects.
                logger.debug("the store's notification connection ended", metadata: ["error": "\(error)"])
            }
            // A connection that lasted has earned a quick reconnect.
            if Date().timeIntervalSince1970 - started > 5 { backoff = 0.05 }
            try? await Task.sleep(for: .seconds(backoff))
            backoff = min(backoff * 2, 2)
        }
    }

    /// Every quarter second: probes the store (each second while it answers; during an outage, each
    /// tick, reconnecting once its backoff has passed) and updates the status; every
    /// `resyncSeconds`, catches up whatever was announced or not.
    private func watch() async {
        var lastSync = Date().timeIntervalSince1970
        var lastProbe = lastSync
        var wasDown = false
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let now = Date().timeIntervalSince1970
            // During an outage every tick may reconnect; otherwise a probe a second notices one
            // even when nothing is written.
            if store.outage != nil || now - lastProbe >= 1, probing.withLock({ !$0 }) {
                // Never awaited: a probe that waits out a dead server must not hold the status back.
                probing.withLock { $0 = true }
                lastProbe = now
                probes.async { [store, probing] in
                    try? store.probe()
                    probing.withLock { $0 = false }
                }
            }
            let outage = store.outage
            status.update(outage, maxStale: Double(settings.maxStaleSeconds), now: now)
            metrics?.storeUp.record(outage == nil ? 1 : 0)
            if wasDown, outage == nil {
                metrics?.storeReconnects.increment()
                await catchUp()
                lastSync = now
            } else if now - lastSync >= Double(settings.resyncSeconds) {
                await catchUp()
                lastSync = now
            }
            wasDown = outage != nil
        }
    }

    private func catchUp() async {
        await offLoop {
            do { try store.catchUp() } catch {
                logger.warning("catching up with the store failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func offLoop(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                work()
                done.resume()
            }
        }
    }
}
