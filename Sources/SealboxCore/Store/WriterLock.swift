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
    /// Conflicts in a row one write survives; each is another daemon's commit to the same thing.
    private static let maxAttempts = 8

    private let lock = Lock()
    private let catchUp: @Sendable () throws -> Void

    /// - Parameter store: the service's store; a ``SharedStore`` is caught up before a retry.
    package init(store: any Sendable) {
        let shared = store as? any SharedStore
        catchUp = { try shared?.catchUp() }
    }

    /// Runs `body` with the lock held, again after catching up if the store refused it as a conflict.
    /// - Parameter body: the write; it reads memory and commits, and has no effect until it commits.
    /// - Returns: what `body` returns.
    package func withLock<R, Failure: Error>(_ body: () throws(Failure) -> R) throws(Failure) -> R {
        if Self.isHeld { return try lock.withLock(body) }
        var attempt = 1
        while true {
            let result = Self.$isHeld.withValue(true) {
                lock.withLock { () -> Result<R, Failure> in
                    do throws(Failure) { return .success(try body()) } catch { return .failure(error) }
                }
            }
            switch result {
            case .success(let value):
                return value
            case .failure(let error):
                guard attempt < Self.maxAttempts, (error as? SealboxError)?.code == .storeConflict else { throw error }
                attempt += 1
                // An unreachable store fails the retry itself, with its own error.
                try? catchUp()
            }
        }
    }
}
