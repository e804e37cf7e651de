import Testing

@testable import SealboxCore

@Suite struct ShardedMapTests {
    @Test func removalKeepsEveryOtherEntryReachable() {
        let map = ShardedMap<String, Int>(shardCount: 2)
        for number in 0..<200 { map["k\(number)"] = number }
        // Removing from the front, the middle and the back swaps other entries into the gaps.
        for number in [0, 57, 100, 101, 199] { map["k\(number)"] = nil }
        map["k57"] = nil
        let kept = (0..<200).filter { ![0, 57, 100, 101, 199].contains($0) }
        #expect(kept.allSatisfy { map["k\($0)"] == $0 })
        #expect([0, 57, 100, 101, 199].allSatisfy { map["k\($0)"] == nil })
        #expect(map.values.sorted() == kept)

        map["k57"] = -57
        map["k1"] = -1
        #expect(map["k57"] == -57 && map["k1"] == -1)
        #expect(map.values.count == kept.count + 1)
    }

    @Test func replaceAllSwapsInTheNewEntriesOnly() {
        let map = ShardedMap<String, Int>()
        map["old"] = 1
        map.replaceAll { reserve, add in
            reserve(3)
            for number in 0..<3 { add("n\(number)", number) }
        }
        #expect(map["old"] == nil)
        #expect(map.values.sorted() == [0, 1, 2])
        map.removeAll()
        #expect(map.values.isEmpty && map["n1"] == nil)
    }
}
