import CoreMetrics
import Foundation
import NIOCore
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's metrics, through swift-metrics (Prometheus text at `GET /metrics`). Handles are made
/// once and cached, so the request path only bumps atomics: the factory's registry lock is taken
/// the first time an (operation, result) pair is seen on a loop, never again.
public final class ServerMetrics: Sendable {
    let leaseRedeems = Counter(label: "sealbox_lease_redeems_total")
    let leasesCreated = Counter(label: "sealbox_leases_created_total")
    let leasesExpired = Counter(label: "sealbox_leases_expired_total")
    let keyRotations = Counter(label: "sealbox_key_rotations_total")
    /// Parameter policies that acted, by type: expirations and the notifications EventBridge would carry.
    let parameterPolicyActions = Dictionary(
        uniqueKeysWithValues: ParameterPolicy.Kind.allCases.map {
            ($0, Counter(label: "sealbox_parameter_policy_actions_total", dimensions: [("type", $0.rawValue)]))
        })
    /// Secret rotations that ended, by outcome: `RotationSucceeded`, `RotationFailed`, `RotationAbandoned`.
    let rotations = Dictionary(
        uniqueKeysWithValues: ["RotationSucceeded", "RotationFailed", "RotationAbandoned"].map {
            ($0, Counter(label: "sealbox_secret_rotations_total", dimensions: [("outcome", $0)]))
        })
    let auditWriteFailures = Counter(label: "sealbox_audit_write_failures_total")
    /// A shared store: 1 while it answers, 0 during an outage.
    let storeUp = Gauge(label: "sealbox_store_up")
    /// Changes other daemons made that this one applied.
    let storeChangesApplied = Counter(label: "sealbox_store_changes_applied_total")
    /// Times the store's connection was made again after an outage.
    let storeReconnects = Counter(label: "sealbox_store_reconnects_total")
    let activeLeases = Gauge(label: "sealbox_active_leases")
    /// Guarded-memory blocks that could not be locked in RAM (over `RLIMIT_MEMLOCK`); 0 when all are.
    let unlockedMemoryBlocks = Gauge(label: "sealbox_unlocked_memory_blocks")
    private let coldStartDelay = CoreMetrics.Timer(label: "sealbox_cold_start_seconds")
    /// One histogram per family, indexed by its raw value: no string hashing per request.
    private let latencies = Family.allCases.map { _ in LatencyHistogram() }
    private let coldStartsByUID = Locked<[UInt32: Counter]>([:])
    /// Callers already seen, by (pid, start time), in shards so connections never share one lock.
    private let seen = (0..<16).map { _ in Locked<Set<[UInt64]>>([]) }

    /// The endpoint families, each with a latency histogram.
    enum Family: Int, CaseIterable, Sendable {
        case aws, leases, `extension`, admin, other

        /// The `family` label.
        var label: String {
            switch self {
            case .aws: "aws"
            case .leases: "leases"
            case .extension: "extension"
            case .admin: "admin"
            case .other: "other"
            }
        }
    }

    public init() {}

    /// The counters of one operation's group commits.
    /// - Parameter operation: the action, such as `ssm:PutParameter`.
    func groupCommits(of operation: String) -> GroupCommit.Counters {
        GroupCommit.Counters(
            groups: Counter(label: "sealbox_group_commits_total", dimensions: [("operation", operation)]),
            calls: Counter(label: "sealbox_group_commit_calls_total", dimensions: [("operation", operation)]))
    }

    /// A per-event-loop view: its counter cache is only ever touched from that loop, so the lock
    /// guarding it is never contended, and the registry's lock is taken once per loop and label set.
    func forLoop() -> LoopMetrics { LoopMetrics(shared: self) }

    /// Counts one answered request and records its latency.
    /// - Parameters:
    ///   - counter: the (operation, result) counter, from the loop's cache.
    ///   - action: the action it answered, if any.
    ///   - ok: whether it succeeded.
    ///   - family: the endpoint family.
    ///   - nanoseconds: from its head to its answer.
    fileprivate func request(_ counter: Counter, action: Action?, ok: Bool, family: Family, nanoseconds: Int64) {
        counter.increment()
        latencies[family.rawValue].record(nanoseconds: nanoseconds)
        guard ok, let action else { return }
        switch action {
        case .redeemLease: leaseRedeems.increment()
        case .createLease: leasesCreated.increment()
        case Self.rotateKeyOnDemand: keyRotations.increment()
        default: break
        }
    }

    private static let rotateKeyOnDemand = KMS.operations["RotateKeyOnDemand"]!.action

    /// The latency histograms in the Prometheus text format, to append to the registry's output.
    public func renderLatencies() -> String {
        var out = "# TYPE sealbox_request_duration_seconds histogram\n"
        for family in Family.allCases {
            out += latencies[family.rawValue].render(name: "sealbox_request_duration_seconds", family: family.label)
        }
        return out
    }

    /// Counts a caller process's first contact (pid and start time, so a recycled pid is new), per
    /// uid, and how long after the process started it came: the cold-start signal.
    /// - Parameter peer: the Unix-socket peer.
    func contact(_ peer: PeerIdentity) {
        let key = [UInt64(peer.credentials.pid), peer.startTime]
        let shard = seen[Int(peer.credentials.pid) % seen.count]
        let first = shard.withLock { seen in
            if seen.count > 50_000 { seen.removeAll() }  // bounded; a rare recount beats unbounded growth
            return seen.insert(key).inserted
        }
        guard first else { return }
        let uid = peer.credentials.uid
        coldStartsByUID.withLock { counters in
            if counters[uid] == nil {
                counters[uid] = Counter(label: "sealbox_cold_starts_total", dimensions: [("uid", String(uid))])
            }
            return counters[uid]!
        }.increment()
        if let started = ProcFS.epoch(ofTicks: peer.startTime) {
            coldStartDelay.recordNanoseconds(Int64(max(0, Date().timeIntervalSince1970 - started) * 1_000_000_000))
        }
    }
}

/// The metrics one event loop records into.
final class LoopMetrics: Sendable {
    private let shared: ServerMetrics
    /// An operation and its result; a pair rather than one joined string, which would be built
    /// (and allocated) on every request.
    private struct CounterKey: Hashable {
        var operation: String
        var result: String
    }

    private struct Counters {
        var byKey: [CounterKey: Counter] = [:]
        /// The last one used: a loop mostly answers one operation many times in a row, and comparing
        /// two short strings is cheaper than hashing them.
        var last: (key: CounterKey, counter: Counter)?
    }

    private let counters = Locked(Counters())

    fileprivate init(shared: ServerMetrics) {
        self.shared = shared
    }

    /// Counts one answered request and records its latency.
    /// - Parameters:
    ///   - action: the action it answered; nil for a request refused before routing named one, which
    ///     counts under its family's name.
    ///   - status: the HTTP status sent.
    ///   - family: the endpoint family.
    ///   - started: when its head arrived.
    func request(action: Action?, status: UInt, family: ServerMetrics.Family, started: NIODeadline) {
        let operation = action?.name ?? family.label
        let result =
            switch status {
            case 200..<400: "ok"
            case 403: "denied"
            case 400..<500: "client_error"
            default: "server_error"
            }
        let key = CounterKey(operation: operation, result: result)
        let counter = counters.withLock { cache in
            if let last = cache.last, last.key == key { return last.counter }
            let counter: Counter
            if let known = cache.byKey[key] {
                counter = known
            } else {
                counter = Counter(
                    label: "sealbox_requests_total", dimensions: [("operation", operation), ("result", result)])
                cache.byKey[key] = counter
            }
            cache.last = (key, counter)
            return counter
        }
        shared.request(
            counter, action: action, ok: result == "ok", family: family,
            nanoseconds: (NIODeadline.now() - started).nanoseconds)
    }

    func contact(_ peer: PeerIdentity) { shared.contact(peer) }
}

/// A latency histogram of atomic buckets: recording takes no lock (swift-prometheus's histograms
/// take one per observation, which every request of a family would share).
final class LatencyHistogram: Sendable {
    private final class Cell: Sendable {
        let value = Atomic<Int64>(0)
    }

    static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5]
    private let buckets = LatencyHistogram.bounds.map { _ in Cell() }
    private let count = Cell()
    private let sumNanoseconds = Cell()

    func record(nanoseconds: Int64) {
        let seconds = Double(nanoseconds) / 1e9
        if let index = Self.bounds.firstIndex(where: { seconds <= $0 }) {
            buckets[index].value.wrappingAdd(1, ordering: .relaxed)
        }
        count.value.wrappingAdd(1, ordering: .relaxed)
        sumNanoseconds.value.wrappingAdd(nanoseconds, ordering: .relaxed)
    }

    func render(name: String, family: String) -> String {
        var out = ""
        var cumulative: Int64 = 0
        for (bound, bucket) in zip(Self.bounds, buckets) {
            cumulative += bucket.value.load(ordering: .relaxed)
            out += "\(name)_bucket{family=\"\(family)\",le=\"\(bound)\"} \(cumulative)\n"
        }
        let total = count.value.load(ordering: .relaxed)
        out += "\(name)_bucket{family=\"\(family)\",le=\"+Inf\"} \(total)\n"
        out += "\(name)_sum{family=\"\(family)\"} \(Double(sumNanoseconds.value.load(ordering: .relaxed)) / 1e9)\n"
        out += "\(name)_count{family=\"\(family)\"} \(total)\n"
        return out
    }
}
