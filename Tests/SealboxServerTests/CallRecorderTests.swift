import Foundation
import SealboxAWS
import SealboxCore
import Testing

@testable import SealboxServer

@Suite struct CallRecorderTests {
    static func entry(
        pid: Int32, started: UInt64 = 1, action: String, serving secrets: [ServedSecret] = []
    ) -> AuditEntry {
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012",
            principal: .process(pid: pid, uid: 1000, gid: 1000, startTime: started),
            action: Action(action, audited: true))
        let trail = AuditTrail()
        for secret in secrets { trail.served(secret) }
        return AuditEntry(context: context, trail: trail, result: "allowed")
    }

    static func secret(_ index: Int) -> ServedSecret {
        .parameter(name: "/app/\(index)", scope: .home, version: 1)
    }

    @Test func aFullRecordDropsTheOldestCallsAndKeepsTheRestInOrder() {
        let recorder = CallRecorder(capacity: 3, clock: ManualClock())
        for index in 1...5 { recorder.record(Self.entry(pid: 7, action: "op\(index)"), status: 200) }
        #expect(recorder.calls.map(\.operation) == ["op3", "op4", "op5"])
        #expect(recorder.calls.map(\.sequence) == [3, 4, 5])

        recorder.clear()
        #expect(recorder.calls.isEmpty)
        recorder.record(Self.entry(pid: 7, action: "after"), status: 404)
        #expect(recorder.calls.map(\.sequence) == [6])
        #expect(recorder.calls.first?.status == 404)
    }

    @Test func theRecordIsWrittenAsJSONEncoderWroteIt() throws {
        typealias Call = CallRecorder.Call
        let calls = [
            Call(
                sequence: 1, time: 1_800_000_000.123456, operation: "lease:Redeem", references: [],
                resources: ["/app/db", "/a\"b\\c"],
                principal: .init(kind: "process", pid: 42, uid: 1000, gid: 100), result: "allowed", status: 200),
            Call(
                sequence: 2, time: 1_800_000_001, operation: "kms:Decrypt", references: ["alias/app", "\u{1}"],
                resources: [],
                principal: .init(kind: "accessKey", accessKey: "AKIA\u{1}TEST"), result: "failed:Bad\nLine", status: 400
            ),
            Call(
                sequence: 99_999_999_999, time: 0.000_001_5, operation: "caf\u{E9}/\u{1F512}", references: [],
                resources: ["\t"],
                principal: .init(kind: "anonymous"), result: "denied", status: 403),
        ]
        struct List: Encodable { var calls: [Call] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try encoder.encode(List(calls: calls)), as: UTF8.self)

        #expect(String(decoding: CallRecorder.json(of: calls), as: UTF8.self) == expected)
    }

    @Test func theRecordsJSONListsEveryCallInOrder() throws {
        let recorder = CallRecorder(capacity: 2, clock: ManualClock())
        #expect(String(decoding: recorder.json, as: UTF8.self) == #"{"calls":[]}"#)
        for index in 1...3 { recorder.record(Self.entry(pid: 7, action: "op\(index)"), status: 200) }
        let object = try JSONSerialization.jsonObject(with: Data(recorder.json)) as? [String: [[String: Any]]]
        let calls = try #require(object?["calls"])
        #expect(calls.map { $0["operation"] as? String } == ["op2", "op3"])
        #expect(calls.map { $0["sequence"] as? Int } == [2, 3])
        let principal = try #require(calls.first?["principal"] as? [String: Any])
        #expect(principal["kind"] as? String == "process")
        #expect([principal["pid"], principal["uid"], principal["gid"]].map { $0 as? Int } == [7, 1000, 1000])
    }
}
