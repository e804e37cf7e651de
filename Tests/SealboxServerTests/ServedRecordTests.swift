import SealboxCore
import Testing

@testable import SealboxServer

@Suite struct ServedRecordTests {
    typealias Calls = CallRecorderTests

    @Test func aProcessKeepsEachSecretOnceInTheOrderItWasFirstServed() {
        let record = ServedRecord(servedPerProcess: 3)
        record.record(Calls.entry(pid: 7, action: "a", serving: [Calls.secret(1), Calls.secret(2)]))
        record.record(Calls.entry(pid: 7, action: "b", serving: [Calls.secret(2), Calls.secret(1)]))
        record.record(Calls.entry(pid: 8, action: "c", serving: [Calls.secret(9)]))
        #expect(record.served(to: 7, startTime: 1) == [Calls.secret(1), Calls.secret(2)])
        #expect(record.served(to: 8, startTime: 1) == [Calls.secret(9)])

        // Past the bound, the longest-known secrets go first.
        record.record(Calls.entry(pid: 7, action: "d", serving: [Calls.secret(3), Calls.secret(4)]))
        #expect(record.served(to: 7, startTime: 1) == [Calls.secret(2), Calls.secret(3), Calls.secret(4)])
        #expect(record.served(to: 9, startTime: 1).isEmpty)
    }

    @Test func aReusedPidIsAnotherProcessAndTheFirstServedProcessesAreDroppedFirst() {
        // Sixteen processes in all: one per shard, and pids 7 and 23 share a shard.
        let record = ServedRecord(processLimit: 16)
        record.record(Calls.entry(pid: 7, started: 100, action: "a", serving: [Calls.secret(1)]))
        #expect(record.served(to: 7, startTime: 100) == [Calls.secret(1)])
        #expect(record.served(to: 7, startTime: 200).isEmpty)
        record.record(Calls.entry(pid: 7, started: 200, action: "b", serving: [Calls.secret(2)]))
        #expect(record.served(to: 7, startTime: 100).isEmpty)
        #expect(record.served(to: 7, startTime: 200) == [Calls.secret(2)])
        // Another shard's process leaves this one alone; the same shard's drops it.
        record.record(Calls.entry(pid: 8, started: 300, action: "c", serving: [Calls.secret(3)]))
        #expect(record.served(to: 7, startTime: 200) == [Calls.secret(2)])
        record.record(Calls.entry(pid: 23, started: 400, action: "d", serving: [Calls.secret(4)]))
        #expect(record.served(to: 7, startTime: 200).isEmpty)
        #expect(record.served(to: 23, startTime: 400) == [Calls.secret(4)])
        // Serving a known process again does not count it twice.
        record.record(Calls.entry(pid: 8, started: 300, action: "e", serving: [Calls.secret(5)]))
        #expect(record.served(to: 8, startTime: 300) == [Calls.secret(3), Calls.secret(5)])

        record.clear()
        #expect(record.served(to: 8, startTime: 300).isEmpty)
        #expect(record.served(to: 23, startTime: 400).isEmpty)
    }

    @Test func onlyLocalProcessesAreRecorded() {
        let record = ServedRecord()
        var entry = Calls.entry(pid: 7, action: "a", serving: [Calls.secret(1)])
        entry.context.principal = .token
        record.record(entry)
        #expect(record.served(to: 7, startTime: 1).isEmpty)
    }
}
