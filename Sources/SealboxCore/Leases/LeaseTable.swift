import Synchronization

/// Active leases, in memory only: they end with the daemon. Sharded so redeems of different leases
/// never contend; expired leases are dropped on access and by ``LeaseService/sweep(expiredFor:)``.
public final class LeaseTable: Sendable {
    private let leases = ShardedMap<LeaseID, Lease>()
    private let active = Atomic<Int>(0)
    /// Leases held per owner, expired ones not yet swept included; an owner with none has no entry.
    private let held = ShardedMap<LeaseQuota, Int>()

    public init() {}

    /// The number of leases held, expired ones not yet swept included.
    public var count: Int { active.load(ordering: .relaxed) }

    /// Why ``insert(_:limit:perOwner:)`` refused a lease.
    enum Refusal: Error {
        case full
        case ownerFull
    }

    /// Adds a lease unless the table holds `limit` already, or its owner `perOwner`.
    func insert(_ lease: Lease, limit: Int, perOwner: Int) -> Refusal? {
        let quota = lease.owner.quota
        let admitted = held.update(quota) { count in
            guard (count ?? 0) < perOwner else { return false }
            count = (count ?? 0) + 1
            return true
        }
        guard admitted else { return .ownerFull }
        var current = active.load(ordering: .relaxed)
        while true {
            guard current < limit else {
                release(quota)
                return .full
            }
            let (exchanged, original) = active.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
        leases[lease.id] = lease
        return nil
    }

    /// How many leases `owner` holds.
    func held(by owner: LeaseOwner) -> Int { held[owner.quota] ?? 0 }

    private func release(_ quota: LeaseQuota) {
        held.update(quota) { count in
            let left = (count ?? 1) - 1
            count = left > 0 ? left : nil
        }
    }

    private func removed(_ lease: Lease) {
        active.subtract(1, ordering: .relaxed)
        release(lease.owner.quota)
    }

    /// Runs `body` on the lease under its shard's lock; `body` may change it or set it to nil.
    func update<R>(_ id: LeaseID, _ body: (inout Lease?) throws(SealboxError) -> R) throws(SealboxError) -> R {
        try leases.update(id) { (lease) throws(SealboxError) -> R in
            let before = lease
            // Written back even when `body` throws: an expired lease is dropped as it is refused.
            defer { if let before, lease == nil { removed(before) } }
            return try body(&lease)
        }
    }

    /// Runs `body` on the lease where it is stored, under its shard's lock; `body` sets its second
    /// argument to drop the lease. Nil when there is no such lease.
    func modify<R>(_ id: LeaseID, _ body: (inout Lease, inout Bool) throws(SealboxError) -> R) throws(SealboxError)
        -> R?
    {
        try leases.modify(id) { (lease, remove) throws(SealboxError) -> R in
            defer { if remove { removed(lease) } }
            return try body(&lease, &remove)
        }
    }

    /// Every lease, for listings.
    func all() -> [Lease] { leases.values }

    /// Removes leases matching `predicate`.
    /// - Returns: how many were removed.
    @discardableResult
    func removeAll(where predicate: (Lease) -> Bool) -> Int {
        leases.removeAll { lease in
            guard predicate(lease) else { return false }
            removed(lease)
            return true
        }
    }
}
