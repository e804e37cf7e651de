import SealboxCrypto
import Testing

@testable import SealboxCore

@Suite struct MessageKeyCacheTests {
    private struct Refused: Error {}

    /// Stands in for unwrapping the data key and deriving the message key, and counts the calls.
    private final class Deriver {
        var calls = 0

        func derive() -> SecureBytes {
            calls += 1
            return SecureBytes.random(count: 32)
        }
    }

    /// A token's keyed part: a stand-in wrapped key, then a 24-byte nonce; then its sealed value.
    private static func token(wrapped: String = "a wrapped data key", nonce: UInt8 = 7, sealed: String = "sealed")
        -> [UInt8]
    {
        Array(wrapped.utf8) + Array(repeating: nonce, count: Envelope.nonceLength) + Array(sealed.utf8)
    }

    private static let keyedLength = "a wrapped data key".utf8.count + Envelope.nonceLength
    private let context = EncryptionContext(["PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/a"])

    private func lookUp(
        _ cache: MessageKeyCache, _ token: [UInt8], _ deriver: Deriver, context: EncryptionContext? = nil
    )
        -> SecureBytes
    {
        cache.messageKey(
            of: token, keyedLength: Self.keyedLength, context: context ?? self.context, derive: deriver.derive)
    }

    @Test func aSecondLookupDoesNotDeriveAgainWhateverTheSealedBytes() {
        let cache = MessageKeyCache(slotCount: 4)
        let deriver = Deriver()
        let first = lookUp(cache, Self.token(), deriver)
        // Only the wrapped key, the nonce and the context decide the key; the tag fails on tampering.
        let second = lookUp(cache, Self.token(sealed: "other"), deriver)
        #expect(deriver.calls == 1)
        #expect(first === second)
    }

    @Test func anotherContextWrappedKeyOrNonceDerivesAgain() {
        let cache = MessageKeyCache(slotCount: 1)
        let deriver = Deriver()
        _ = lookUp(cache, Self.token(), deriver)
        _ = lookUp(cache, Self.token(), deriver, context: EncryptionContext(["PARAMETER_ARN": "other"]))
        _ = lookUp(cache, Self.token(wrapped: "a wrapped data kez"), deriver)
        _ = lookUp(cache, Self.token(nonce: 8), deriver)
        #expect(deriver.calls == 4)
    }

    @Test func aFailureIsNotRemembered() throws {
        let cache = MessageKeyCache(slotCount: 4)
        #expect(throws: Refused.self) {
            try cache.messageKey(of: Self.token(), keyedLength: Self.keyedLength, context: context) {
                () throws(Refused) -> SecureBytes in throw Refused()
            }
        }
        let deriver = Deriver()
        _ = lookUp(cache, Self.token(), deriver)
        #expect(deriver.calls == 1)
    }

    @Test func removeAllForgets() {
        let cache = MessageKeyCache(slotCount: 4)
        let deriver = Deriver()
        _ = lookUp(cache, Self.token(), deriver)
        cache.removeAll()
        _ = lookUp(cache, Self.token(), deriver)
        #expect(deriver.calls == 2)
    }
}
