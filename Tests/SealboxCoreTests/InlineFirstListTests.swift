import Testing

@testable import SealboxCore

@Suite struct InlineFirstListTests {
    @Test func keepsEveryElementInOrder() {
        var list = InlineFirstList<String>()
        #expect(Array(list).isEmpty)
        list.append("a")
        #expect(Array(list) == ["a"])
        list.append("b")
        list.append("c")
        #expect(Array(list) == ["a", "b", "c"])
        #expect(list.enumerated().map { "\($0)\($1)" } == ["0a", "1b", "2c"])
    }
}
