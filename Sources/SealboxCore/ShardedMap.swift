import SealboxCrypto

/// A dictionary split over independently locked shards, so concurrent readers of different keys
/// never contend on one lock. Values should be immutable snapshots: readers hold no lock while they
/// use them.
final class ShardedMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let shards: [Locked<[Key: Value]>]

    init(shardCount: Int = 16) {
        shards = (0..<shardCount).map { _ in Locked([:]) }
    }

    private func shard(_ key: Key) -> Locked<[Key: Value]> {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
    }

    subscript(key: Key) -> Value? {
        get { shard(key).withLock { $0[key] } }
        set { shard(key).withLock { $0[key] = newValue } }
    }

    /// Every value, shard by shard; for listings, never for the hot path.
    var values: [Value] {
        shards.flatMap { shard in shard.withLock { Array($0.values) } }
    }

    /// Replaces every entry at once, each shard's dictionary built at its final size.
    /// - Parameter entries: the new contents.
    func replaceAll(with entries: [(Key, Value)]) {
        var parts = shards.map { _ in [Key: Value](minimumCapacity: entries.count / shards.count + 1) }
        for (key, value) in entries {
            parts[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))][key] = value
        }
        for (shard, part) in zip(shards, parts) { shard.withLock { $0 = part } }
    }

    func removeAll() {
        for shard in shards { shard.withLock { $0.removeAll() } }
    }
}
