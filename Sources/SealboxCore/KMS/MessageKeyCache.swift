import SealboxCrypto

/// Data keys unwrapped recently, so that reading a SecureString again does not open its data key
/// under the master key again: that open was 5.7% of a lease redeem's CPU.
///
/// It memoizes a pure function of the wrapped key and the encryption context, and nothing else: the
/// caller checks the master key's state, and that the version's material still exists, before every
/// lookup, so a disabled or deleted key refuses as before. The data keys stay in guarded memory; the
/// master key material they came from is in memory anyway. Direct-mapped and bounded: a slot holds
/// the last key that hashed to it.
final class DataKeyCache: Sendable {
    private struct Entry: Sendable {
        let wrapped: [UInt8]
        let context: EncryptionContext
        let dataKey: SecureBytes
    }

    private let slots: [Locked<Entry?>]

    /// - Parameter slotCount: how many data keys it holds at most.
    init(slotCount: Int = 64) {
        slots = (0..<slotCount).map { _ in Locked(nil) }
    }

    /// The data key `wrapped` holds under `context`: from the cache, or from `open`, which is then
    /// remembered. A failure is not.
    /// - Parameters:
    ///   - wrapped: the wrapped data key (a v1 envelope).
    ///   - context: the encryption context it was sealed with.
    ///   - open: unwraps it under the master key.
    func dataKey<Failure: Error>(
        wrapped: [UInt8], context: EncryptionContext, open: () throws(Failure) -> SecureBytes
    ) throws(Failure) -> SecureBytes {
        var hasher = Hasher()
        wrapped.withUnsafeBytes { hasher.combine(bytes: $0) }
        let slot = slots[Int(UInt(bitPattern: hasher.finalize()) % UInt(slots.count))]
        let cached = slot.withLock { entry in
            entry.flatMap { $0.wrapped == wrapped && $0.context == context ? $0.dataKey : nil }
        }
        if let cached { return cached }
        let dataKey = try open()
        slot.withLock { $0 = Entry(wrapped: wrapped, context: context, dataKey: dataKey) }
        return dataKey
    }

    /// Forgets every data key, when the keys they came from are replaced wholesale.
    func removeAll() {
        for slot in slots { slot.withLock { $0 = nil } }
    }
}
