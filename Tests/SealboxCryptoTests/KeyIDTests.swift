import SealboxCrypto
import Testing

@Suite struct KeyIDTests {
    @Test func aMultiRegionIdReadsAndWritesAsMrkAndHexDigits() throws {
        let id = try #require(KeyID("mrk-1234ABCD12ab34cd56ef1234567890ab"))
        #expect(id.isMultiRegion)
        #expect(id.description == "mrk-1234abcd12ab34cd56ef1234567890ab")
        #expect(KeyID(id.description) == id)
        let random = KeyID.randomMultiRegion()
        #expect(random.isMultiRegion && random.description.hasPrefix("mrk-") && random.description.count == 36)
        #expect(KeyID(random.description)?.bytes == random.bytes)
    }

    /// A ciphertext carries the 128 bits only: they must find the multi-Region key they came from.
    @Test func theBitsAloneMakeTheIdentity() throws {
        let multiRegion = try #require(KeyID("mrk-1234abcd12ab34cd56ef1234567890ab"))
        let fromBytes = try #require(KeyID(bytes: multiRegion.bytes))
        #expect(!fromBytes.isMultiRegion)
        #expect(fromBytes == multiRegion)
        #expect(Set([fromBytes, multiRegion]).count == 1)
        #expect(fromBytes.description == "1234abcd-12ab-34cd-56ef-1234567890ab")
    }

    @Test(arguments: [
        "mrk-1234abcd12ab34cd56ef1234567890a", "mrk-1234abcd12ab34cd56ef1234567890ag",
        "MRK-1234abcd12ab34cd56ef1234567890ab",
        "mrk_1234abcd12ab34cd56ef1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890a-",
        "mrk-1234abcd-12ab-34cd-56ef-123456789",
    ])
    func malformedIdsAreRefused(_ text: String) {
        #expect(KeyID(text) == nil)
    }
}
