/// A store that several daemons share (PostgreSQL). Each daemon serves from memory, so it must
/// apply what the others write: they publish each change, and ``catchUp()`` applies those this
/// daemon has not yet seen, through the handler installed with ``follow(_:)``.
public protocol SharedStore: Sendable {
    /// Installs what applies other daemons' changes; ``catchUp()`` calls it for each, in order.
    /// - Parameter apply: loads the changed thing again, or acts on the change.
    func follow(_ apply: @escaping @Sendable (StoreChange) throws -> Void)
    /// Applies, in order, every change other daemons committed since the last catch-up.
    /// - Throws: ``StoreError`` when the store cannot be reached.
    func catchUp() throws
    /// Publishes a change that is no store write of its own (a lease revocation) to every daemon.
    /// - Parameter change: the change.
    func publish(_ change: StoreChange) throws
    /// Waits for announcements of new changes until the connection that carries them ends.
    /// - Parameter announced: called once listening has begun, for what came before, and on each
    ///   announcement.
    func listen(_ announced: @escaping @Sendable () async -> Void) async throws
    /// Runs `body` while no other daemon can commit: a write that lost a race runs again this way, so
    /// that it cannot lose the next one too. Without the store, `body` runs all the same (and fails).
    /// - Parameter body: the catch-up and the write.
    func excludingOtherWriters<R>(_ body: () -> R) -> R
    /// Checks that the store answers, reconnecting if an outage's backoff has passed.
    func probe() throws
    /// Since when, and why, the store is unreachable; nil while it answers.
    var outage: (since: Double, reason: String)? { get }
}
