import Synchronization

/// A dictionary split over independently locked shards, so concurrent readers of different keys
/// never contend on one lock. Values should be immutable snapshots: readers hold no lock while they
/// use them.
final class ShardedMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private final class Shard: Sendable {
        let entries = Mutex<[Key: Value]>([:])
    }

    private let shards: [Shard]

    init(shardCount: Int = 16) {
        shards = (0..<shardCount).map { _ in Shard() }
    }

    private func shard(_ key: Key) -> Shard {
        shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
    }

    subscript(key: Key) -> Value? {
        get { shard(key).entries.withLock { $0[key] } }
        set { shard(key).entries.withLock { $0[key] = newValue } }
    }

    /// Every value, shard by shard; for listings, never for the hot path.
    var values: [Value] {
        shards.flatMap { shard in shard.entries.withLock { Array($0.values) } }
    }

    /// Replaces every entry at once, each shard's dictionary built at its final size.
    /// - Parameter entries: the new contents.
    func replaceAll(with entries: [(Key, Value)]) {
        var parts = shards.map { _ in [Key: Value](minimumCapacity: entries.count / shards.count + 1) }
        for (key, value) in entries {
            parts[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))][key] = value
        }
        for (shard, part) in zip(shards, parts) { shard.entries.withLock { $0 = part } }
    }

    func removeAll() {
        for shard in shards { shard.entries.withLock { $0.removeAll() } }
    }
}
