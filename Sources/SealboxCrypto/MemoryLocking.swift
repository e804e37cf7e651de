import CSealboxSys
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Whether guarded memory is locked in RAM.
///
/// `sodium_malloc` locks each block with `mlock` but carries on silently when that fails (over
/// `RLIMIT_MEMLOCK`, without `CAP_IPC_LOCK`): the block is then swappable, so keys could reach the swap
/// device. Each fresh block is locked once more here, which costs nothing when sodium's lock held (locks
/// do not stack) and reports when it did not. Recycled blocks keep the lock they were made with, so
/// this runs only where `sodium_malloc` already made several system calls.
public enum MemoryLocking {
    private static let unlocked = Atomic<Int>(0)
    private static let observer = Locked<(@Sendable (Int) -> Void)?>(nil)

    /// Guarded blocks made since start that could not be locked (they may still be in use, or recycled).
    public static var unlockedBlocks: Int { unlocked.load(ordering: .relaxed) }

    /// The soft `RLIMIT_MEMLOCK` in bytes; nil when unlimited.
    public static var limitBytes: UInt64? {
        let limit = csealbox_memlock_limit()
        return limit < 0 ? nil : UInt64(limit)
    }

    /// Calls `handler` with the count of unlocked blocks when the first one is made, and on every
    /// later one that doubles the count, so a log is told at once without being flooded.
    /// - Parameter handler: called on the allocating thread; it must be quick.
    public static func observe(_ handler: @escaping @Sendable (Int) -> Void) {
        observer.withLock { $0 = handler }
    }

    /// Locks a block `sodium_malloc` just made, and counts it when that fails.
    static func check(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
        guard mlock(pointer, count) != 0 else { return }
        countUnlocked()
    }

    /// Counts a block of secret memory that could not be locked.
    static func countUnlocked() {
        let total = unlocked.wrappingAdd(1, ordering: .relaxed).newValue
        // Powers of two: 1, 2, 4, 8, ...
        if total & (total - 1) == 0, let handler = observer.withLock({ $0 }) { handler(total) }
    }
}
