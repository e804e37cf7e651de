import Testing

@testable import SealboxCrypto

@Suite struct EncryptionContextTests {
    @Test func onePairIsTheSameContextHoweverItIsBuilt() {
        let fromDictionary = EncryptionContext(["PARAMETER_ARN": "arn:x"])
        let fromPair = EncryptionContext(key: "PARAMETER_ARN", value: "arn:x")
        #expect(fromDictionary == fromPair)
        #expect(fromDictionary.hashValue == fromPair.hashValue)
        #expect(fromDictionary.canonicalBytes == fromPair.canonicalBytes)
        #expect(fromPair.pairs == ["PARAMETER_ARN": "arn:x"])
        #expect(fromPair != EncryptionContext(key: "PARAMETER_ARN", value: "arn:y"))
        #expect(fromPair != EncryptionContext(key: "parameter_arn", value: "arn:x"))
        #expect(fromPair != EncryptionContext())
    }

    @Test func canonicalBytesCountPairsAndSortByKeyBytes() {
        #expect(EncryptionContext().canonicalBytes == [0, 0, 0, 0])
        #expect(
            EncryptionContext(key: "k", value: "vv").canonicalBytes == [
                0, 0, 0, 1, 0, 0, 0, 1, 107, 0, 0, 0, 2, 118, 118,
            ])
        let two = EncryptionContext(["b": "2", "a": "1"])
        #expect(two.canonicalBytes == [0, 0, 0, 2, 0, 0, 0, 1, 97, 0, 0, 0, 1, 49, 0, 0, 0, 1, 98, 0, 0, 0, 1, 50])
        #expect(two == EncryptionContext(["a": "1", "b": "2"]))
        #expect(two.canonicalCount == two.canonicalBytes.count)
        #expect(EncryptionContext(key: "k", value: "vv").canonicalCount == 15)
    }

    @Test func contextsMatchByteForByteNotByUnicodeEquivalence() {
        // "é" precomposed and decomposed: equal as Swift strings, different bytes in the associated data.
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        #expect(EncryptionContext(key: "k", value: composed) != EncryptionContext(key: "k", value: decomposed))
        #expect(EncryptionContext(key: composed, value: "v") != EncryptionContext(key: decomposed, value: "v"))
        #expect(
            EncryptionContext(["a": composed, "b": "1"]) != EncryptionContext(["a": decomposed, "b": "1"]))
        #expect(EncryptionContext(["a": composed, "b": "1"]) == EncryptionContext(["b": "1", "a": composed]))
    }
}
