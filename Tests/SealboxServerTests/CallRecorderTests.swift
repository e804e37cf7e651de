import SealboxCore
import Testing

@testable import SealboxServer

@Suite struct CallRecorderTests {
    private static func entry(
        pid: Int32, started: UInt64 = 1, action: String, serving secrets: [ServedSecret] = []
    ) -> AuditEntry {
        let context = RequestContext(
            region: "us-east-1", accountID: "123456789012",
            principal: .process(pid: pid, uid: 1000, gid: 1000, startTime: started), action: action)
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
        #expect(recorder.served(to: 7, startTime: 1) == [Self.secret(1), Self.secret(2)])
        #expect(recorder.served(to: 8, startTime: 1) == [Self.secret(9)])

        // Past the bound, the longest-known secrets go first.
        recorder.record(Self.entry(pid: 7, action: "d", serving: [Self.secret(3), Self.secret(4)]), status: 200)
        #expect(recorder.served(to: 7, startTime: 1) == [Self.secret(2), Self.secret(3), Self.secret(4)])
        #expect(recorder.served(to: 9, startTime: 1).isEmpty)
    }

    @Test func aReusedPidIsAnotherProcessAndTheFirstServedProcessesAreDroppedFirst() {
        let recorder = CallRecorder(processLimit: 2, clock: ManualClock())
        recorder.record(Self.entry(pid: 7, started: 100, action: "a", serving: [Self.secret(1)]), status: 200)
        recorder.record(Self.entry(pid: 7, started: 200, action: "b", serving: [Self.secret(2)]), status: 200)
        #expect(recorder.served(to: 7, startTime: 100) == [Self.secret(1)])
        #expect(recorder.served(to: 7, startTime: 200) == [Self.secret(2)])

        recorder.record(Self.entry(pid: 8, started: 300, action: "c", serving: [Self.secret(3)]), status: 200)
        #expect(recorder.served(to: 7, startTime: 100).isEmpty)
        #expect(recorder.served(to: 7, startTime: 200) == [Self.secret(2)])
        #expect(recorder.served(to: 8, startTime: 300) == [Self.secret(3)])

        // Serving a known process again does not count it twice.
        recorder.record(Self.entry(pid: 8, started: 300, action: "d", serving: [Self.secret(4)]), status: 200)
        #expect(recorder.served(to: 7, startTime: 200) == [Self.secret(2)])
        #expect(recorder.served(to: 8, startTime: 300) == [Self.secret(3), Self.secret(4)])

        // A cleared record counts processes from none: two after it are both kept.
        recorder.clear()
        #expect(recorder.served(to: 8, startTime: 300).isEmpty)
        recorder.record(Self.entry(pid: 8, started: 300, action: "e", serving: [Self.secret(5)]), status: 200)
        recorder.record(Self.entry(pid: 9, started: 400, action: "f", serving: [Self.secret(6)]), status: 200)
        #expect(recorder.served(to: 8, startTime: 300) == [Self.secret(5)])
        #expect(recorder.served(to: 9, startTime: 400) == [Self.secret(6)])
    }
}
