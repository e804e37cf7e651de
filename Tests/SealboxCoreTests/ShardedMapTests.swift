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

    /// Keys Swift calls equal land in one shard, even when their bytes differ (precomposed and
    /// decomposed accents), and ASCII keys spread over the shards.
    @Test func equalKeysShareAShardAndKeysSpread() {
        let map = ShardedMap<String, Int>(shardCount: 16)
        map["/app/caf\u{e9}"] = 1
        #expect(map["/app/cafe\u{301}"] == 1)
        #expect("/app/caf\u{e9}".shardHash == "/app/cafe\u{301}".shardHash)
        let used = Set((0..<256).map { "/seed/\($0)".shardHash % 16 })
        #expect(used.count == 16)
        #expect(String(repeating: "x", count: 40).shardHash == String(repeating: "x", count: 40).shardHash)
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
        // Each entry is found where lookups look for it.
        let found = (0..<3).map { number in map["n\(number)"] }
        #expect(found == [0, 1, 2])
        map.removeAll()
        #expect(map.values.isEmpty && map["n1"] == nil)
    }

    struct Refused: Error {}

    @Test func modifyChangesOrRemovesAnEntryInPlaceAndFindsNoMissingOne() throws {
        let map = ShardedMap<String, [Int]>(shardCount: 2)
        map["a"] = [1]
        map["b"] = [2]
        #expect(map.modify("a") { value, _ in value.append(10) } != nil)
        #expect(map["a"] == [1, 10])
        #expect(map.modify("missing") { value, _ in value.append(0) } == nil)
        #expect(map["missing"] == nil)
        #expect(throws: Refused.self) {
            try map.modify("b") { (value, remove) throws(Refused) in
                remove = true
                throw Refused()
            }
        }
        #expect(map["b"] == nil)
        #expect(map.values == [[1, 10]])
    }

    @Test func updateAddsChangesAndRemovesAndKeepsWhatAThrowingBodyLeft() {
        let map = ShardedMap<String, Int>(shardCount: 2)
        map.update("a") { value in value = 1 }
        #expect(map["a"] == 1)
        let seen = map.update("a") { value -> Int? in
            defer { value! += 1 }
            return value
        }
        #expect(seen == 1 && map["a"] == 2)
        #expect(throws: Refused.self) {
            try map.update("a") { (value) throws(Refused) in
                value = nil
                throw Refused()
            }
        }
        #expect(map["a"] == nil)
        map.update("never") { value in #expect(value == nil) }
        #expect(map.values.isEmpty)
    }

    @Test func removeAllWhereCountsWhatItRemovedAcrossShards() {
        let map = ShardedMap<String, Int>(shardCount: 4)
        for number in 0..<100 { map["k\(number)"] = number }
        #expect(map.removeAll { $0 % 3 == 0 } == 34)
        #expect(map.values.sorted() == (0..<100).filter { $0 % 3 != 0 })
        #expect(map.removeAll { _ in false } == 0)
    }
}
