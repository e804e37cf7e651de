import OrderedCollections
import SealboxCrypto

/// A dictionary split over independently locked shards, so concurrent readers of different keys
/// never contend on one lock. Values should be immutable snapshots: readers hold no lock while they
/// use them.
///
/// Each shard is an `OrderedDictionary`: entries sit in dense arrays behind a compact index table,
/// where a `Dictionary` keeps a key and a value in every bucket, empty ones included. With 100,000
/// parameters that halves the map's memory (about 7 MB). Order means nothing here, so removal swaps
/// the entry with the last one and stays O(1).
///
/// Public and inlinable, like the lock types, so that callers in other modules (the protocol
/// handlers) specialize it: `package` generics are called unspecialized from other modules.
public final class ShardedMap<Key: ShardKey, Value: Sendable>: Sendable {
    @usableFromInline
    let shards: [ReadWriteLocked<OrderedDictionary<Key, Value>>]

    package init(shardCount: Int = 16) {
        shards = (0..<shardCount).map { _ in ReadWriteLocked([:]) }
    }

    @inlinable
    func shard(_ key: Key) -> ReadWriteLocked<OrderedDictionary<Key, Value>> {
        shards[Self.shardIndex(of: key, count: shards.count)]
    }

    /// The one place a key's shard is worked out.
    @inlinable
    static func shardIndex(of key: Key, count: Int) -> Int {
        Int(key.shardHash % UInt(count))
    }

    @inlinable
    public subscript(key: Key) -> Value? {
        get { shard(key).withReadLock { $0[key] } }
        set { update(key) { $0 = newValue } }
    }

    /// Runs `body` on the entry for `key` under its shard's lock; `body` may change the value, add
    /// one, or set it to nil to remove the entry. The result is stored even when `body` throws.
    @inlinable
    public func update<R, Failure: Error>(_ key: Key, _ body: (inout Value?) throws(Failure) -> R) throws(Failure) -> R
    {
        try shard(key).withLock { (table) throws(Failure) -> R in
            let index = table.index(forKey: key)
            var value = index.map { table.values[$0] }
            defer {
                switch (index, value) {
                case (let index?, let value?): table.values[index] = value
                case (nil, let value?): table[key] = value
                case (let index?, nil):
                    table.swapAt(index, table.count - 1)
                    table.removeLast()
                case (nil, nil): break
                }
            }
            return try body(&value)
        }
    }

    /// Runs `body` on the entry for `key` where it is stored, under its shard's lock: nothing is
    /// copied out and back, which matters for an entry many threads change at once. `body` sets its
    /// second argument to remove the entry; a change it made before throwing stays.
    /// - Returns: `body`'s result, or nil when there is no entry.
    @inlinable
    public func modify<R, Failure: Error>(
        _ key: Key, _ body: (inout Value, inout Bool) throws(Failure) -> R
    ) throws(Failure) -> R? {
        try shard(key).withLock { (table) throws(Failure) -> R? in
            guard let index = table.index(forKey: key) else { return nil }
            var remove = false
            defer {
                if remove {
                    table.swapAt(index, table.count - 1)
                    table.removeLast()
                }
            }
            return try body(&table.values[index], &remove)
        }
    }

    /// The number of entries, shard by shard; for status reports.
    package var count: Int {
        shards.reduce(0) { total, shard in total + shard.withReadLock { $0.count } }
    }

    /// Every value, shard by shard; for listings, never for the hot path.
    package var values: [Value] {
        shards.flatMap { shard in shard.withReadLock { Array($0.values) } }
    }

    /// Removes the entries whose values match `predicate`, shard by shard.
    /// - Returns: how many were removed.
    package func removeAll(where predicate: (Value) -> Bool) -> Int {
        shards.reduce(0) { removed, shard in
            removed
                + shard.withLock { table in
                    let before = table.count
                    table.removeAll { predicate($0.value) }
                    return before - table.count
                }
        }
    }

    /// Replaces every entry with those `fill` adds. The new shards are built without a lock and
    /// swapped in one by one, so a large load is never held twice.
    /// - Parameter fill: called once with `reserve` (the number of entries to expect) and `add`.
    package func replaceAll(_ fill: (_ reserve: (Int) -> Void, _ add: (Key, Value) -> Void) throws -> Void) rethrows {
        var parts = shards.map { _ in OrderedDictionary<Key, Value>() }
        let count = shards.count
        try fill(
            { total in for index in parts.indices { parts[index].reserveCapacity(total / count + 1) } },
            { key, value in parts[Self.shardIndex(of: key, count: count)][key] = value })
        for (shard, part) in zip(shards, parts) { shard.withLock { $0 = part } }
    }

    package func removeAll() {
        for shard in shards { shard.withLock { $0.removeAll() } }
    }
}

/// A key a ``ShardedMap`` picks a shard for without hashing it twice: `hashValue` ran SipHash once
/// for the shard and the shard's dictionary ran it again, on every lookup. Any stable mix will do
/// here, since the dictionary still hashes the key with the process's random seed.
public protocol ShardKey: Hashable, Sendable {
    /// Spreads keys over shards; equal keys must give equal values.
    var shardHash: UInt { get }
}

extension String: ShardKey {
    /// FNV-1a over the UTF-8 bytes of ASCII text. Other text goes through `hashValue`: strings that
    /// are equal as Swift compares them (canonically equivalent) can differ in their bytes.
    public var shardHash: UInt {
        var text = self
        let ascii = text.withUTF8 { bytes -> UInt64? in
            var (hash, seen): (UInt64, UInt8) = (0xcbf2_9ce4_8422_2325, 0)
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
                seen |= byte
            }
            return seen < 0x80 ? hash : nil
        }
        return UInt(truncatingIfNeeded: ascii ?? UInt64(UInt(bitPattern: hashValue)))
    }
}

extension KeyID: ShardKey {
    public var shardHash: UInt { UInt(truncatingIfNeeded: mixedBits) }
}
