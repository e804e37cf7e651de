import CoreMetrics
import Logging
import NIOCore
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// Which calls get a record: those the audit log takes, and with call recording (ephemeral daemons)
/// every call.
struct CallLogging: Sendable {
    var audit: Bool
    var record: Bool

    /// Whether a request for `action` gets a trail at all.
    /// - Parameter action: what the request does.
    func traces(_ action: Action) -> Bool {
        switch action.trace {
        case .audited: record || audit
        case .recorded: record
        case .untraced: false
        }
    }
}

/// A request's audit record, written before its response may be sent (fail closed).
public struct AuditEntry: Sendable {
    var context: RequestContext
    var trail: AuditTrail
    var result: String
    /// Set for AWS JSON requests, whose refusal is AWS-shaped and carries the request id.
    var awsRequestID: String?
    /// Whether it goes to the audit log; an ephemeral daemon also records calls that are not audited.
    var logged = true
    /// Whether the write's intent record is in the log already (see ``RouteStages/intend(_:)``).
    var intended = false

    /// What is sent instead of the response when the record cannot be written; nil when the response
    /// goes out anyway, because the write's intent is recorded.
    var refusal: Refusal? { intended ? nil : Refusal(awsRequestID: awsRequestID) }

    /// The answer to a request whose record could not be written, kept small while the record is
    /// on its way: it is made only if the write fails.
    struct Refusal {
        var awsRequestID: String?

        var response: HTTPResponse {
            if let awsRequestID { return AWSEndpoint.auditUnavailable(awsRequestID) }
            return .error(
                .serviceUnavailable, code: "AuditUnavailable",
                message: "The audit log cannot be written; the request was refused.")
        }
    }
}

/// A request waiting for its audit record to be written before it may answer.
protocol AuditWaiter: AnyObject {
    /// Called on the batcher's event loop once the record is written, or failed to be.
    /// - Parameter written: whether the record reached the log.
    func auditRecordDone(written: Bool)
}

/// The audit records of one event loop's requests, written together: records appended during one
/// loop iteration reach the file in one `write(2)` when the iteration's I/O is done, and only then
/// are their responses sent. One syscall per iteration instead of one per request.
///
/// Waiters are called back directly rather than through a promise each: a promise, its future and
/// the callback on it were three allocations per request.
final class AuditBatcher: Sendable {
    private let chain: AuditChain
    private let eventLoop: any EventLoop
    /// The requests whose records are appended but not yet written, and a spare list to swap in
    /// while they are called back. Only touched on `eventLoop`.
    private let waiting: NIOLoopBoundBox<(current: [any AuditWaiter], spare: [any AuditWaiter])>
    private let logger: Logger
    private let failures: Counter?

    /// - Parameters:
    ///   - chain: this loop's own audit chain.
    ///   - eventLoop: the loop whose requests it records.
    ///   - failures: counts failed writes, if metrics are kept.
    ///   - logger: for write failures.
    init(chain: AuditChain, eventLoop: any EventLoop, failures: Counter?, logger: Logger) {
        self.chain = chain
        self.eventLoop = eventLoop
        self.failures = failures
        self.logger = logger
        waiting = .makeBoxSendingValue(([], []), eventLoop: eventLoop)
    }

    /// Appends the record; `waiter` is called back once it is written, or could not be. Call it on
    /// the batcher's event loop.
    /// - Parameters:
    ///   - entry: the record.
    ///   - waiter: the request that answers once the record is written.
    func submit(_ entry: AuditEntry, for waiter: any AuditWaiter) {
        chain.append(entry.context, trail: entry.trail, result: entry.result)
        waiting.value.current.append(waiter)
        if waiting.value.current.count == 1 { eventLoop.execute { self.flush() } }
    }

    private func flush() {
        var waiters: [any AuditWaiter] = []
        waiting.withValue { lists in
            waiters = lists.current
            lists.current = lists.spare
            lists.spare = []
        }
        var written = true
        do {
            try chain.flush()
        } catch {
            written = false
            failures?.increment()
            logger.error(
                "audit records could not be written; refusing their requests", metadata: ["count": "\(waiters.count)"])
        }
        for waiter in waiters { waiter.auditRecordDone(written: written) }
        waiters.removeAll(keepingCapacity: true)
        waiting.value.spare = waiters
    }
}
