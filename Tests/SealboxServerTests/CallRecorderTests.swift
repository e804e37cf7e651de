import SealboxCore
import Testing

@testable import SealboxServer

@Suite struct CallRecorderTests {
    private static func entry(pid: Int32, action: String, serving secrets: [ServedSecret] = []) -> AuditEntry {
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012",
            principal: .process(pid: pid, uid: 1000, gid: 1000, startTime: 1), action: action)
        let trail = AuditTrail()
        for secret in secrets { trail.served(secret) }
        return AuditEntry(context: context, trail: trail, result: "allowed")
    }

    private static func secret(_ index: Int) -> ServedSecret { .parameter(name: "/app/\(index)", version: 1) }

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

    @Test func aProcessKeepsEachSecretOnceInTheOrderItWasFirstServed() {
        let recorder = CallRecorder(servedPerProcess: 3, clock: ManualClock())
        recorder.record(Self.entry(pid: 7, action: "a", serving: [Self.secret(1), Self.secret(2)]), status: 200)
        recorder.record(Self.entry(pid: 7, action: "b", serving: [Self.secret(2), Self.secret(1)]), status: 200)
        recorder.record(Self.entry(pid: 8, action: "c", serving: [Self.secret(9)]), status: 200)
        #expect(recorder.served(to: 7) == [Self.secret(1), Self.secret(2)])
        #expect(recorder.served(to: 8) == [Self.secret(9)])

        // Past the bound, the longest-known secrets go first.
        recorder.record(Self.entry(pid: 7, action: "d", serving: [Self.secret(3), Self.secret(4)]), status: 200)
        #expect(recorder.served(to: 7) == [Self.secret(2), Self.secret(3), Self.secret(4)])
        #expect(recorder.served(to: 9).isEmpty)
    }
}
