import Testing

@testable import SealboxCore

@Suite struct LeaseIDTests {
    @Test func anIdReadsBackFromTheTextItIsWrittenAs() throws {
        let ids = (0..<50).map { _ in LeaseID.random() }
        #expect(Set(ids).count == 50)
        // Each half is drawn on its own: all 100 halves differ.
        #expect(Set(ids.flatMap { [$0.description.prefix(16), $0.description.suffix(16)] }).count == 100)
        for id in ids {
            let text = id.description
            #expect(text.utf8.count == 32 && text.utf8.allSatisfy { Array("0123456789abcdef".utf8).contains($0) })
            let read = try #require(LeaseID(text))
            #expect(read == id && read.constantTimeEquals(id))
        }
        let fixed = try #require(LeaseID("00112233445566778899aabbccddeeff"))
        #expect(fixed.description == "00112233445566778899aabbccddeeff")
        #expect(!fixed.constantTimeEquals(try #require(LeaseID("00112233445566778899aabbccddeefe"))))
        #expect(!fixed.constantTimeEquals(try #require(LeaseID("10112233445566778899aabbccddeeff"))))
    }

    @Test func anythingButThirtyTwoLowercaseHexDigitsIsNoId() {
        for text in [
            "", "00112233445566778899aabbccddeef", "00112233445566778899aabbccddeeff0",
            "00112233445566778899AABBCCDDEEFF", "00112233445566778899aabbccddeefg", "../../etc/passwd",
            "00112233445566778899aabbccddee\u{e9}",
        ] {
            #expect(LeaseID(text) == nil, "\(text)")
        }
    }
}
