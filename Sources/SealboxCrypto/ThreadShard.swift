#if canImport(Glibc)
    import Glibc
#endif

/// Spreads threads over shards, so per-thread state (pools, audit chains) is rarely contended.
public enum ThreadShard {
    /// This thread's shard among `count`.
    /// - Parameter count: the number of shards.
    public static func index(of count: Int) -> Int {
        // pthread_t values are aligned addresses: mix the bits before reducing.
        let mixed = UInt64(UInt(pthread_self())) &* 0x9E37_79B9_7F4A_7C15
        return Int((mixed >> 32) % UInt64(count))
    }
}
