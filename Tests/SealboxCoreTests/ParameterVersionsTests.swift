import Testing

@testable import SealboxCore

@Suite struct ParameterVersionsTests {
    static func version(_ number: Int) -> ParameterVersionRecord {
        ParameterVersionRecord(
            name: "/p", version: number, type: .string, keyId: nil, description: nil, allowedPattern: nil,
            tier: "Standard", dataType: "text", modified: Double(number), modifiedBy: "uid:0", labels: [],
            contextArn: nil, value: Array("v\(number)".utf8))
    }

    @Test func growingAndShrinkingPassesThroughTheInlineCase() {
        var versions: ParameterVersions = []
        #expect(versions.isEmpty)
        for number in 1...3 {
            versions.append(Self.version(number))
            #expect(versions.map(\.version) == Array(1...number))
        }
        versions.removeFirst()
        #expect(versions.map(\.version) == [2, 3])
        versions.removeFirst()
        #expect(versions.count == 1 && versions.last?.version == 3 && versions.first?.version == 3)
        versions.append(Self.version(4))
        #expect(versions.map(\.version) == [3, 4])
        versions.removeAll()
        #expect(versions.isEmpty && versions.last == nil)
    }

    @Test func changingOneVersionLeavesItsCopiesAlone() {
        let one = ParameterVersions([Self.version(1)])
        var changed = one
        changed[0].labels.append("live")
        #expect(changed[0].labels == ["live"] && one[0].labels.isEmpty)

        let two = ParameterVersions([Self.version(1), Self.version(2)])
        var both = two
        both[1].value = Array("new".utf8)
        #expect(both.map { String(decoding: $0.value, as: UTF8.self) } == ["v1", "new"])
        #expect(two.map { String(decoding: $0.value, as: UTF8.self) } == ["v1", "v2"])
        #expect(both.firstIndex { $0.version == 2 } == 1)
    }

    @Test func aSingleVersionTakesNoMoreRoomThanTheVersionItself() {
        // The two cases are told apart by bits the record leaves unused, not by a byte of their own.
        #expect(MemoryLayout<ParameterVersions>.size == MemoryLayout<ParameterVersionRecord>.size)
    }
}
