import CoreMetrics
import Logging
import NIOCore
import SealboxCore
import SealboxCrypto

/// Which calls get a record: those the audit log takes, and with call recording (ephemeral daemons)
/// every call.
struct CallLogging: Sendable {
    var audit: Bool
    var record: Bool

    /// Whether a request whose operation the audit log takes (`audited`) gets a trail at all.
    func traces(audited: Bool) -> Bool { record || (audit && audited) }
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

    /// What is sent instead of the response when the record cannot be written.
    var refusal: HTTPResponse {
        if let awsRequestID { return AWSEndpoint.auditUnavailable(awsRequestID) }
        return .error(
            .serviceUnavailable, code: "AuditUnavailable",
            message: "The audit log cannot be written; the request was refused.")
    }
}

/// The audit records of one event loop's requests, written together: records appended during one
/// loop iteration reach the file in one `write(2)` when the iteration's I/O is done, and only then
/// are their responses sent. One syscall per iteration instead of one per request.
final class AuditBatcher: Sendable {
    private let chain: AuditChain
    private let eventLoop: any EventLoop
    private let waiting = Locked<[EventLoopPromise<Void>]>([])
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
    }

    /// Appends the record; the future succeeds once it is written, and fails if it cannot be.
    /// - Parameter entry: the record.
    func submit(_ entry: AuditEntry) -> EventLoopFuture<Void> {
        chain.append(entry.context, trail: entry.trail, result: entry.result)
        let promise = eventLoop.makePromise(of: Void.self)
        let first = waiting.withLock { waiting in
            waiting.append(promise)
            return waiting.count == 1
        }
        if first { eventLoop.execute { self.flush() } }
        return promise.futureResult
    }

    private func flush() {
        let promises = waiting.withLock { waiting in
            defer { waiting.removeAll(keepingCapacity: true) }
            return waiting
        }
        do {
            try chain.flush()
            for promise in promises { promise.succeed() }
        } catch {
            failures?.increment()
            logger.error(
                "audit records could not be written; refusing their requests", metadata: ["count": "\(promises.count)"])
            for promise in promises { promise.fail(error) }
        }
    }
}
