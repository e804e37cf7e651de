import SealboxCrypto
import Testing

@testable import SealboxCore

@Suite struct DataKeyCacheTests {
    private struct Refused: Error {}

    /// Stands in for unwrapping under the master key, and counts the calls.
    private final class Unwrapper {
        var calls = 0

        func open() -> SecureBytes {
            calls += 1
            return SecureBytes.random(count: 32)
        }
    }

    private let wrapped = Array("a wrapped data key".utf8)
    private let context = EncryptionContext(["PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/a"])

    @Test func aSecondLookupDoesNotOpenAgain() {
        let cache = DataKeyCache(slotCount: 4)
        let unwrapper = Unwrapper()
        let first = cache.dataKey(wrapped: wrapped, context: context, open: unwrapper.open)
        let second = cache.dataKey(wrapped: wrapped, context: context, open: unwrapper.open)
        #expect(unwrapper.calls == 1)
        #expect(first === second)
    }

    @Test func anotherContextOrWrappedKeyOpensAgain() {
        let cache = DataKeyCache(slotCount: 1)
        let unwrapper = Unwrapper()
        _ = cache.dataKey(wrapped: wrapped, context: context, open: unwrapper.open)
        _ = cache.dataKey(
            wrapped: wrapped, context: EncryptionContext(["PARAMETER_ARN": "other"]), open: unwrapper.open)
        _ = cache.dataKey(wrapped: wrapped + [0], context: context, open: unwrapper.open)
        #expect(unwrapper.calls == 3)
    }

    @Test func aFailureIsNotRemembered() throws {
        let cache = DataKeyCache(slotCount: 4)
        #expect(throws: Refused.self) {
            try cache.dataKey(wrapped: wrapped, context: context) { () throws(Refused) -> SecureBytes in throw Refused()
            }
        }
        let unwrapper = Unwrapper()
        _ = cache.dataKey(wrapped: wrapped, context: context, open: unwrapper.open)
        #expect(unwrapper.calls == 1)
    }

    @Test func removeAllForgets() {
        let cache = DataKeyCache(slotCount: 4)
        let unwrapper = Unwrapper()
        _ = cache.dataKey(wrapped: wrapped, context: context, open: unwrapper.open)
        cache.removeAll()
        _ = cache.dataKey(wrapped: wrapped, context: context, open: unwrapper.open)
        #expect(unwrapper.calls == 2)
    }
}
