import CoreMetrics
import NIOCore
import NIOPosix
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// Group commit for one write operation: calls that arrive while a group is being made durable wait,
/// and the next group takes them, up to ``maxGroup``, into one transaction. One writer at a time
/// holds the store and a write's cost is mostly its commit (the WAL append and `fsync`), so with one
/// transaction each a write waited for every write queued ahead of it to commit on its own.
///
/// One thread-pool thread drains the queue while it is not empty; a call that finds no drain running
/// starts one. Each call's answer comes back on its own event loop.
final class GroupCommit: Sendable {
    typealias Answer = Result<ResponseBody, AWSError>

    /// Most calls in one group: bounds one transaction and what one failed commit takes down.
    static let maxGroup = 64

    private struct Waiting {
        var call: AWSCall
        var promise: EventLoopPromise<Answer>
    }

    private struct Queue {
        var waiting: [Waiting] = []
        var draining = false
    }

    /// How many groups were committed, and how many calls they held: their ratio is the mean group size.
    struct Counters: Sendable {
        var groups: Counter
        var calls: Counter
    }

    private let pool: NIOThreadPool
    private let commit: @Sendable ([AWSCall]) -> [Answer]
    private let admit: @Sendable (AWSCall) -> AWSError?
    private let counters: Counters?
    private let queue = Locked(Queue())

    /// - Parameters:
    ///   - pool: where groups are committed, off the event loops.
    ///   - counters: counts groups and their calls, if metrics are kept.
    ///   - commit: answers a group of calls, one answer per call and in order.
    ///   - admit: run on the pool before a call joins its group; a call it refuses is answered with
    ///     the error and never committed (a write whose intent cannot be recorded).
    init(
        pool: NIOThreadPool,
        counters: Counters?,
        commit: @escaping @Sendable ([AWSCall]) -> [Answer],
        admit: @escaping @Sendable (AWSCall) -> AWSError? = { _ in nil }
    ) {
        self.pool = pool
        self.counters = counters
        self.commit = commit
        self.admit = admit
    }

    /// Queues a call for the next group.
    /// - Parameters:
    ///   - call: the request and its caller.
    ///   - eventLoop: where the answer is delivered.
    /// - Returns: the call's answer, once its group is committed; fails only while the daemon shuts down.
    func submit(_ call: AWSCall, on eventLoop: any EventLoop) -> EventLoopFuture<Answer> {
        let promise = eventLoop.makePromise(of: Answer.self)
        let start = queue.withLock { queue in
            queue.waiting.append(Waiting(call: call, promise: promise))
            defer { queue.draining = true }
            return !queue.draining
        }
        if start {
            pool.runIfActive(eventLoop: eventLoop) { self.drain() }.whenFailure { error in
                // The pool refuses work only while shutting down: nothing will drain what waits.
                let stranded = self.queue.withLock { queue in
                    queue.draining = false
                    defer { queue.waiting = [] }
                    return queue.waiting
                }
                for waiting in stranded { waiting.promise.fail(error) }
            }
        }
        return promise.futureResult
    }

    private func drain() {
        while true {
            let group = queue.withLock { queue -> ArraySlice<Waiting> in
                let group = queue.waiting.prefix(Self.maxGroup)
                queue.waiting.removeFirst(group.count)
                if group.isEmpty { queue.draining = false }
                return group
            }
            guard !group.isEmpty else { return }
            var admitted: [Waiting] = []
            admitted.reserveCapacity(group.count)
            for waiting in group {
                if let refusal = admit(waiting.call) {
                    waiting.promise.succeed(.failure(refusal))
                } else {
                    admitted.append(waiting)
                }
            }
            guard !admitted.isEmpty else { continue }
            counters?.groups.increment()
            counters?.calls.increment(by: admitted.count)
            let answers = commit(admitted.map(\.call))
            precondition(answers.count == admitted.count, "a group commit must answer every call")
            for (waiting, answer) in zip(admitted, answers) { waiting.promise.succeed(answer) }
        }
    }
}
