#if canImport(Glibc)
    import Glibc
#endif

// `Synchronization.Mutex` would serve as well at run time, but on Linux it locks with futexes inside
// the standard library, which is not built with ThreadSanitizer: TSan cannot see its ordering and
// reports every access it guards as a race. pthread mutexes are intercepted, so with these types
// `make sanitize-thread` reports only real races. (NIO's `NIOLock` takes the same route.)

// The lock types are public and inlinable so that callers in other modules specialize them: called
// as plain generics, each call went through value-witness copies and reabstraction thunks. `package`
// would do, but with it this toolchain's callers in other modules still called the unspecialized
// generics (checked in the binary).

/// A pthread mutex on the heap, where it must stay put.
@usableFromInline
struct PthreadMutex {
    @usableFromInline
    let pointer: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(pointer, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    func destroy() {
        pthread_mutex_destroy(pointer)
        pointer.deallocate()
    }

    @inlinable
    func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(pointer)
        defer { pthread_mutex_unlock(pointer) }
        return try body()
    }
}

/// A lock that guards no value of its own: it makes whole operations (a store write and its
/// publication) one at a time.
public final class Lock: Sendable {
    @usableFromInline
    nonisolated(unsafe) let mutex = PthreadMutex()

    package init() {}

    deinit { mutex.destroy() }

    /// Runs `body` with the lock held.
    /// - Parameter body: the critical section; must not take this lock again.
    /// - Returns: what `body` returns.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try mutex.withLock(body)
    }
}

/// A value behind a pthread mutex, for state shared across threads.
public final class Locked<Value> {
    @usableFromInline
    let mutex = PthreadMutex()
    @usableFromInline
    var value: Value

    /// - Parameter value: the initial value.
    package init(_ value: Value) {
        self.value = value
    }

    deinit { mutex.destroy() }

    /// Runs `body` with the lock held and the value open for change.
    /// - Parameter body: reads or changes the value; must not take this lock again.
    /// - Returns: what `body` returns.
    @inlinable
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try mutex.withLock { () throws(Failure) -> Result in try body(&value) }
    }
}

// The mutex orders every access to the value, so sharing the box is safe when sharing the value is.
extension Locked: @unchecked Sendable where Value: Sendable {}

/// A value behind a pthread read-write lock, for state that many threads read and few change:
/// readers do not wait for one another. Under a mutex, two event loops reading one hot entry (one
/// lease's parameter, its key, its cached message key) took turns, and a reader whose partner was
/// descheduled while holding the lock waited out the partner's time slice.
public final class ReadWriteLocked<Value> {
    @usableFromInline
    let lock: UnsafeMutablePointer<pthread_rwlock_t>
    @usableFromInline
    var value: Value

    /// - Parameter value: the initial value.
    package init(_ value: Value) {
        self.value = value
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        // Readers come on every request: without this, a steady stream of them could keep a writer out.
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        let status = pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
        precondition(status == 0, "pthread_rwlock_init failed: \(status)")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` with the lock held for reading, alongside other readers.
    /// - Parameter body: reads the value; must not take this lock again.
    /// - Returns: what `body` returns.
    @inlinable
    public func withReadLock<Result, Failure: Error>(
        _ body: (Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    /// Runs `body` with the lock held alone and the value open for change.
    /// - Parameter body: reads or changes the value; must not take this lock again.
    /// - Returns: what `body` returns.
    @inlinable
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value)
    }
}

// The lock orders every access to the value, so sharing the box is safe when sharing the value is.
extension ReadWriteLocked: @unchecked Sendable where Value: Sendable {}
