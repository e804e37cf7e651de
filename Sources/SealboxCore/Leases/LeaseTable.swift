import Synchronization

/// Active leases, in memory only: they end with the daemon. Sharded so redeems of different leases
/// never contend; expired leases are dropped on access and by ``LeaseService/sweep(expiredFor:)``.
public final class LeaseTable: Sendable {
    private let leases = ShardedMap<LeaseID, Lease>()
    private let active = Atomic<Int>(0)

    public init() {}

    /// The number of leases held, expired ones not yet swept included.
    public var count: Int { active.load(ordering: .relaxed) }

    /// Adds a lease unless the table holds `limit` already.
    func insert(_ lease: Lease, limit: Int) -> Bool {
        var current = active.load(ordering: .relaxed)
        while true {
            guard current < limit else { return false }
            let (exchanged, original) = active.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
        leases[lease.id] = lease
        return true
    }

    /// Runs `body` on the lease under its shard's lock; `body` may change it or set it to nil.
    func update<R>(_ id: LeaseID, _ body: (inout Lease?) throws(SealboxError) -> R) throws(SealboxError) -> R {
        try leases.update(id) { (lease) throws(SealboxError) -> R in
            let hadLease = lease != nil
            // Written back even when `body` throws: an expired lease is dropped as it is refused.
            defer { if hadLease && lease == nil { active.subtract(1, ordering: .relaxed) } }
            return try body(&lease)
        }
    }

    /// Runs `body` on the lease where it is stored, under its shard's lock; `body` sets its second
    /// argument to drop the lease. Nil when there is no such lease.
    func modify<R>(_ id: LeaseID, _ body: (inout Lease, inout Bool) throws(SealboxError) -> R) throws(SealboxError)
        -> R?
    {
        try leases.modify(id) { (lease, remove) throws(SealboxError) -> R in
            defer { if remove { active.subtract(1, ordering: .relaxed) } }
            return try body(&lease, &remove)
        }
    }

    /// Every lease, for listings.
    func all() -> [Lease] { leases.values }

    /// Removes leases matching `predicate`.
    /// - Returns: how many were removed.
    @discardableResult
    func removeAll(where predicate: (Lease) -> Bool) -> Int {
        let removed = leases.removeAll(where: predicate)
        active.subtract(removed, ordering: .relaxed)
        return removed
    }
}
