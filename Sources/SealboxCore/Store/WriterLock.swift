import SealboxCrypto

/// The lock that makes a service's writes one at a time, and runs a write again when a shared store
/// refused it as a conflict: another daemon had changed what the write read from memory. The retry
/// first catches up, so the write runs on what the store now holds.
///
/// Only the outermost writer retries: a write that holds one service's lock and takes another's
/// (a SecureString put creating its default key) must unwind all of them before catching up, since
/// catching up takes the locks of the services it changes.
package final class WriterLock: Sendable {
    @TaskLocal private static var isHeld = false
    /// Runs of one write at most; a rerun holds the other daemons off, so a second is rare.
    private static let maxAttempts = 4

    private let lock = Lock()
    private let shared: (any SharedStore)?

    /// - Parameter store: the service's store; a ``SharedStore`` is caught up before a retry.
    package init(store: any Sendable) {
        shared = store as? any SharedStore
    }

    /// Runs `body` with the lock held, again after catching up if the store refused it as a conflict.
    /// - Parameter body: the write; it reads memory and commits, and has no effect until it commits.
    /// - Returns: what `body` returns.
    package func withLock<R, Failure: Error>(_ body: () throws(Failure) -> R) throws(Failure) -> R {
        if Self.isHeld { return try lock.withLock(body) }
        func run() -> Result<R, Failure> {
            Self.$isHeld.withValue(true) {
                lock.withLock { () -> Result<R, Failure> in
                    do throws(Failure) { return .success(try body()) } catch { return .failure(error) }
                }
            }
        }
        var result = run()
        var attempt = 1
        // A conflict: catch up and run again while the other daemons wait, so the rerun cannot lose
        // another race (under steady writes to the same names, optimistic reruns kept losing). An
        // unreachable store fails the rerun itself, with its own error.
        while case .failure(let error) = result, let shared, attempt < Self.maxAttempts,
            (error as? SealboxError)?.code == .storeConflict
        {
            attempt += 1
            result = shared.excludingOtherWriters {
                try? shared.catchUp()
                return run()
            }
        }
        return try result.get()
    }
}
