import SealboxAWS
import SealboxCrypto
import Synchronization

/// Whether a shared store answers, as `/health` reports it and as reads are gated on it: during an
/// outage, reads are served from memory for `store.maxStaleSeconds`, then refused with a 503, since
/// what memory holds may no longer be what the fleet holds.
public final class StoreStatus: Sendable {
    private let refusing = Atomic<Bool>(false)
    private let outage = Locked<(since: Double, reason: String)?>(nil)

    public init() {}

    /// Whether reads are refused; one relaxed load, checked on every request.
    var refusesReads: Bool { refusing.load(ordering: .relaxed) }

    /// The outage in words for `/health`, if there is one.
    var degradedReason: String? {
        outage.withLock { outage in
            outage.map { "store unreachable since \(ISOTimestamp.milliseconds($0.since)): \($0.reason)" }
        }
    }

    /// Records the store's state.
    /// - Parameters:
    ///   - current: since when and why it is unreachable; nil while it answers.
    ///   - maxStale: how long reads go on after it became unreachable.
    ///   - now: the time.
    func update(_ current: (since: Double, reason: String)?, maxStale: Double, now: Double) {
        outage.withLock { $0 = current }
        refusing.store(current.map { now - $0.since > maxStale } ?? false, ordering: .relaxed)
    }
}
