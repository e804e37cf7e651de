import NIOCore
import OrderedCollections
import SealboxCore
import SealboxCrypto
import Synchronization

/// What each process was served, on every daemon, for `sealbox inspect`: which secrets (their
/// names and versions, never a value), per process as the kernel tells processes apart. Bounded:
/// the longest-known secrets of a process and the first-served processes go first.
///
/// Sharded by pid, so that the requests of different processes take different locks: a redeem
/// records what it served, and the hot path takes no lock that every request shares.
public final class ServedRecord: Sendable {
    /// A process as the kernel tells it apart: a pid is reused, its start time with it is not.
    struct Process: Hashable {
        var pid: Int32
        var startTime: UInt64
    }

    // Ordered sets and a ring, so that a process served again costs a lookup, not a copy.
    private struct Shard {
        var served: [Process: OrderedSet<ServedSecret>] = [:]
        /// The processes in `served`, first served first.
        var processes = CircularBuffer<Process>()
    }

    private static let shardCount = 16
    private let shards = (0..<shardCount).map { _ in Locked(Shard()) }
    /// Moves at every ``clear()``, so a connection knows its cache of what it recorded is stale.
    private let clears = Atomic<Int>(0)
    private let servedPerProcess: Int
    private let processesPerShard: Int

    /// - Parameters:
    ///   - servedPerProcess: the secrets remembered per process.
    ///   - processLimit: the processes remembered, in all.
    public init(servedPerProcess: Int = 1_000, processLimit: Int = 10_000) {
        precondition(servedPerProcess > 0 && processLimit > 0, "a served record keeps something")
        self.servedPerProcess = servedPerProcess
        processesPerShard = max(1, processLimit / Self.shardCount)
    }

    private func shard(_ pid: Int32) -> Locked<Shard> {
        shards[Int(UInt32(bitPattern: pid) % UInt32(Self.shardCount))]
    }

    /// Records the secrets a request served, if its caller is a local process.
    /// - Parameter entry: the request's audit entry.
    func record(_ entry: AuditEntry) {
        guard case .process(let pid, _, _, let startTime) = entry.context.principal else { return }
        let served = entry.trail.servedSecrets
        guard !served.isEmpty else { return }
        let process = Process(pid: pid, startTime: startTime)
        shard(pid).withLock { shard in
            // Moved out and back, so the set is not copied; a process seen first joins the order.
            var known: OrderedSet<ServedSecret>
            if let existing = shard.served.removeValue(forKey: process) {
                known = existing
            } else {
                known = []
                shard.processes.append(process)
                if shard.processes.count > processesPerShard { shard.served[shard.processes.removeFirst()] = nil }
            }
            known.append(contentsOf: served)
            if known.count > servedPerProcess { known.removeFirst(known.count - servedPerProcess) }
            shard.served[process] = known
        }
    }

    /// The secrets served to a process, in the order it was first served them.
    /// - Parameters:
    ///   - pid: the process id.
    ///   - startTime: its start time in clock ticks since boot, which tells it from an earlier process
    ///     that had the same pid.
    func served(to pid: Int32, startTime: UInt64) -> [ServedSecret] {
        shard(pid).withLock { Array($0.served[Process(pid: pid, startTime: startTime)] ?? []) }
    }

    /// How many times the record was cleared.
    var generation: Int { clears.load(ordering: .acquiring) }

    /// Forgets every process.
    func clear() {
        clears.add(1, ordering: .releasing)
        for shard in shards {
            shard.withLock { state in
                state.served.removeAll()
                state.processes.removeAll()
            }
        }
    }
}
