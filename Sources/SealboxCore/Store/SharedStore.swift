/// A store that several daemons share (PostgreSQL). Each daemon serves from memory, so it must
/// apply what the others write: they publish each change, and ``catchUp()`` applies those this
/// daemon has not yet seen, through the handler the daemon installs.
public protocol SharedStore: Sendable {
    /// Applies, in order, every change other daemons committed since the last catch-up.
    /// - Throws: ``StoreError`` when the store cannot be reached.
    func catchUp() throws
    /// Publishes a change that is no store write of its own (a lease revocation) to every daemon.
    /// - Parameter change: the change.
    func publish(_ change: StoreChange) throws
}
