import Dispatch
import NIOCore
import NIOPosix
import SealboxAWS
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxServer

@Suite struct GroupCommitTests {
    static func call(_ number: Int) -> AWSCall {
        AWSCall(
            body: Array(String(number).utf8),
            context: RequestContext(region: "us-east-1", accountID: "123456789012", principal: .anonymous))
    }

    static func number(_ call: AWSCall) -> Int { Int(String(decoding: call.body, as: UTF8.self))! }

    static func number(_ answer: GroupCommit.Answer) throws -> Int {
        guard case .json(let bytes) = try answer.get() else { throw CancellationError() }
        return Int(String(decoding: bytes, as: UTF8.self))!
    }

    @Test(.timeLimit(.minutes(1))) func callsQueuedBehindACommitGoIntoTheNextGroupsInOrder() throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        defer {
            try? pool.syncShutdownGracefully()
            try? loops.syncShutdownGracefully()
        }
        let groups = Locked<[[Int]]>([])
        let firstIsCommitting = DispatchSemaphore(value: 0)
        let finishFirst = DispatchSemaphore(value: 0)
        let commit = GroupCommit(pool: pool, counters: nil) { calls in
            let numbers = calls.map(Self.number)
            let first = groups.withLock { groups in
                groups.append(numbers)
                return groups.count == 1
            }
            if first {
                firstIsCommitting.signal()
                finishFirst.wait()
            }
            return numbers.map { .success(.json(Array(String($0 * 10).utf8))) }
        }
        let loop = loops.next()
        let first = commit.submit(Self.call(0), on: loop)
        firstIsCommitting.wait()
        // Queued while call 0 commits: the next groups take them, at most `maxGroup` at a time.
        let queued = (1...70).map { commit.submit(Self.call($0), on: loop) }
        finishFirst.signal()

        #expect(try Self.number(first.wait()) == 0)
        #expect(try queued.map { try Self.number($0.wait()) } == (1...70).map { $0 * 10 })
        #expect(GroupCommit.maxGroup == 64)
        #expect(groups.withLock { $0 } == [[0], Array(1...64), Array(65...70)])
    }

    @Test(.timeLimit(.minutes(1))) func aPoolThatHasStoppedFailsTheCallsInsteadOfLeavingThemWaiting() throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? loops.syncShutdownGracefully() }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        try pool.syncShutdownGracefully()
        let commit = GroupCommit(pool: pool, counters: nil) { calls in
            Issue.record("no group may commit on a stopped pool")
            return calls.map { _ in .failure(.internalServer("unexpected")) }
        }
        let loop = loops.next()
        let answers = (0..<3).map { commit.submit(Self.call($0), on: loop) }
        for answer in answers {
            #expect(throws: (any Error).self) { try answer.wait() }
        }
        // A later call starts a drain of its own, which fails the same way.
        #expect(throws: (any Error).self) { try commit.submit(Self.call(9), on: loop).wait() }
    }

    @Test(.timeLimit(.minutes(1))) func aCallRefusedAdmissionIsAnsweredWithItsRefusalAndNeverCommitted() throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer {
            try? pool.syncShutdownGracefully()
            try? loops.syncShutdownGracefully()
        }
        let committed = Locked<[Int]>([])
        let commit = GroupCommit(
            pool: pool, counters: nil,
            commit: { calls in
                let numbers = calls.map(Self.number)
                committed.withLock { $0 += numbers }
                return numbers.map { .success(.json(Array(String($0).utf8))) }
            },
            admit: { call in Self.number(call) % 2 == 0 ? nil : .serviceUnavailable("no intent") })
        let loop = loops.next()
        let answers = (0..<4).map { commit.submit(Self.call($0), on: loop) }
        #expect(try Self.number(answers[0].wait()) == 0)
        #expect(try Self.number(answers[2].wait()) == 2)
        for odd in [1, 3] {
            #expect(throws: AWSError.self) { try answers[odd].wait().get() }
        }
        #expect(committed.withLock { $0 }.sorted() == [0, 2])
    }
}
