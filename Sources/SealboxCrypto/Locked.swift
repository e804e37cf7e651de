#if canImport(Glibc)
    import Glibc
#endif

// `Synchronization.Mutex` would serve as well at run time, but on Linux it locks with futexes inside
// the standard library, which is not built with ThreadSanitizer: TSan cannot see its ordering and
// reports every access it guards as a race. pthread mutexes are intercepted, so with these types
// `make sanitize-thread` reports only real races. (NIO's `NIOLock` takes the same route.)

/// A pthread mutex on the heap, where it must stay put.
private struct PthreadMutex {
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

    @inline(__always)
    func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(pointer)
        defer { pthread_mutex_unlock(pointer) }
        return try body()
    }
}

/// A lock that guards no value of its own: it makes whole operations (a store write and its
/// publication) one at a time.
package final class Lock: Sendable {
    nonisolated(unsafe) private let mutex = PthreadMutex()

    package init() {}

    deinit { mutex.destroy() }

    /// Runs `body` with the lock held.
    /// - Parameter body: the critical section; must not take this lock again.
    /// - Returns: what `body` returns.
    @inline(__always)
    package func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try mutex.withLock(body)
    }
}

/// A value behind a pthread mutex, for state shared across threads.
package final class Locked<Value> {
    private let mutex = PthreadMutex()
    private var value: Value

    /// - Parameter value: the initial value.
    package init(_ value: Value) {
        self.value = value
    }

    deinit { mutex.destroy() }

    /// Runs `body` with the lock held and the value open for change.
    /// - Parameter body: reads or changes the value; must not take this lock again.
    /// - Returns: what `body` returns.
    @inline(__always)
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try mutex.withLock { () throws(Failure) -> Result in try body(&value) }
    }
}

// The mutex orders every access to the value, so sharing the box is safe when sharing the value is.
extension Locked: @unchecked Sendable where Value: Sendable {}
