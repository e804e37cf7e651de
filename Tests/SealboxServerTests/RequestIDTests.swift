import Testing

@testable import SealboxServer

@Suite struct RequestIDTests {
    @Test func idsAreDistinctVersion4UUIDs() {
        let ids = (0..<1000).map { _ in RequestID.next() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36 && [8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect("89ab".utf8.contains(bytes[19]))
            #expect(bytes.allSatisfy { "0123456789abcdef-".utf8.contains($0) })
        }
    }
}
