import CSodium

#if canImport(Glibc)
    import Glibc
#endif

/// Recycles `sodium_malloc` blocks.
///
/// Each `sodium_malloc` costs several system calls (mmap, mprotect, mlock) that take the process's
/// memory-map lock, so allocating one per request serialises every thread. Blocks are grouped in
/// size classes, wiped when released, and kept in small per-thread-sharded free lists; they stay
/// locked and excluded from core dumps for their whole life.
enum GuardedMemory {
    private static let sizeClasses = [64, 256, 1024, 4096, 16_384, 65_536]
    private static let maxFreePerClass = 64
    private static let shardCount = 8

    private struct Block: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private static let shards = (0..<shardCount).map { _ in
        Locked<[[Block]]>(Array(repeating: [], count: GuardedMemory.sizeClasses.count))
    }

    private static var currentShard: Locked<[[Block]]> {
        shards[ThreadShard.index(of: shardCount)]
    }

    /// The capacity a request for `count` bytes is served with.
    static func capacity(for count: Int) -> Int {
        sizeClasses.first { $0 >= count } ?? count
    }

    /// A zero-filled block of at least `count` bytes, and its capacity.
    static func allocate(_ count: Int) -> (UnsafeMutableRawPointer, Int) {
        let capacity = capacity(for: max(count, 1))
        if let index = sizeClasses.firstIndex(of: capacity),
            let block = currentShard.withLock({ $0[index].popLast() })
        {
            return (block.pointer, capacity)
        }
        guard let pointer = sodium_malloc(capacity) else {
            fatalError("sodium_malloc failed: out of locked memory")
        }
        MemoryLocking.check(pointer, capacity)
        sodium_memzero(pointer, capacity)
        return (pointer, capacity)
    }

    /// Wipes the first `used` bytes (the rest were never written) and recycles or frees the block.
    static func release(_ pointer: UnsafeMutableRawPointer, capacity: Int, used: Int) {
        sodium_memzero(pointer, min(used, capacity))
        if let index = sizeClasses.firstIndex(of: capacity) {
            let kept = currentShard.withLock { lists -> Bool in
                guard lists[index].count < maxFreePerClass else { return false }
                lists[index].append(Block(pointer: pointer))
                return true
            }
            if kept { return }
        }
        sodium_free(pointer)
    }
}
