import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The keys that ciphertexts were sealed under, remembered, so that reading a SecureString again
/// neither opens its data key under the master key nor derives the value's key from it, and
/// decrypting a blob again does not derive its key: on the redeem path those two steps cost more
/// than everything else the domain does.
///
/// It memoizes a pure function of a token's first bytes (a v1 token's header, with its key id,
/// version and nonce; a v2 token's wrapped data key and nonce) and the encryption context, and
/// nothing else: the caller checks the master key's state, and that the
/// version's material still exists, before every lookup, so a disabled or deleted key refuses as
/// before. The keys stay in guarded memory; each opens one value only, and the master key material
/// they came from is in memory anyway. Direct-mapped and bounded: a slot holds the last key that
/// hashed to it.
final class MessageKeyCache: Sendable {
    private struct Entry: Sendable {
        let identity: [UInt8]
        let context: EncryptionContext
        let messageKey: SecureBytes
    }

    private let slots: [ReadWriteLocked<Entry?>]

    /// - Parameter slotCount: how many keys it holds at most.
    init(slotCount: Int = 64) {
        slots = (0..<slotCount).map { _ in ReadWriteLocked(nil) }
    }

    /// The message key of a token: from the cache, or from `derive`, which is then remembered. A
    /// failure is not.
    /// - Parameters:
    ///   - token: the token.
    ///   - keyedLength: the bytes that decide its key, ending in its nonce: ``Envelope/headerLength``
    ///     or ``DataKeyEnvelope/keyedLength(of:)``.
    ///   - context: the encryption context it was sealed with.
    ///   - derive: derives the message key (for a v2 token, after unwrapping its data key).
    func messageKey<Failure: Error>(
        of token: [UInt8], keyedLength: Int, context: EncryptionContext,
        derive: () throws(Failure) -> SecureBytes
    ) throws(Failure) -> SecureBytes {
        precondition(keyedLength >= Envelope.nonceLength && keyedLength <= token.count)
        // The nonce, last in the identity, is random: its first bytes spread tokens over the slots.
        let spread = token.withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: keyedLength - Envelope.nonceLength, as: UInt64.self)
        }
        let slot = slots[Int(spread % UInt64(slots.count))]
        let cached = slot.withReadLock { entry -> SecureBytes? in
            // Compared with memcmp: ArraySlice's == went element by element.
            guard let entry, entry.identity.count == keyedLength, entry.context == context,
                entry.identity.withUnsafeBytes({ mine in
                    token.withUnsafeBytes { memcmp(mine.baseAddress!, $0.baseAddress!, keyedLength) }
                }) == 0
            else { return nil }
            return entry.messageKey
        }
        if let cached { return cached }
        let messageKey = try derive()
        slot.withLock { $0 = Entry(identity: Array(token[..<keyedLength]), context: context, messageKey: messageKey) }
        return messageKey
    }

    /// Forgets every key, when the master keys they came from are replaced wholesale.
    func removeAll() {
        for slot in slots { slot.withLock { $0 = nil } }
    }
}
