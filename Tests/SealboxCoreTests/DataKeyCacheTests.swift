import SealboxCrypto
import Testing

@testable import SealboxCore

@Suite struct DataKeyCacheTests {
    private struct Refused: Error {}

    private let wrapped = Array("a wrapped data key".utf8)
    private let context = EncryptionContext(["PARAMETER_ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/a"])

    @Test func aSecondLookupDoesNotOpenAgain() {
        let cache = DataKeyCache(slotCount: 4)
        var opens = 0
        let open = { () -> SecureBytes in
            opens += 1
            return SecureBytes(copying: [UInt8](repeating: 7, count: 32))
        }
        let first = cache.dataKey(wrapped: wrapped, context: context, open: open)
        let second = cache.dataKey(wrapped: wrapped, context: context, open: open)
        #expect(opens == 1)
        #expect(first === second)
    }

    @Test func anotherContextOrWrappedKeyOpensAgain() {
        let cache = DataKeyCache(slotCount: 1)
        var opens = 0
        let open = { () -> SecureBytes in
            opens += 1
            return SecureBytes.random(count: 32)
        }
        _ = cache.dataKey(wrapped: wrapped, context: context, open: open)
        _ = cache.dataKey(wrapped: wrapped, context: EncryptionContext(["PARAMETER_ARN": "other"]), open: open)
        _ = cache.dataKey(wrapped: wrapped + [0], context: context, open: open)
        #expect(opens == 3)
    }

    @Test func aFailureIsNotRemembered() throws {
        let cache = DataKeyCache(slotCount: 4)
        #expect(throws: Refused.self) {
            try cache.dataKey(wrapped: wrapped, context: context) { () throws(Refused) -> SecureBytes in throw Refused()
            }
        }
        var opened = false
        _ = cache.dataKey(wrapped: wrapped, context: context) {
            opened = true
            return SecureBytes.random(count: 32)
        }
        #expect(opened)
    }

    @Test func removeAllForgets() {
        let cache = DataKeyCache(slotCount: 4)
        var opens = 0
        let open = { () -> SecureBytes in
            opens += 1
            return SecureBytes.random(count: 32)
        }
        _ = cache.dataKey(wrapped: wrapped, context: context, open: open)
        cache.removeAll()
        _ = cache.dataKey(wrapped: wrapped, context: context, open: open)
        #expect(opens == 2)
    }
}
