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
    /// Recent denials per caller on this loop. Only touched on `eventLoop`, so it takes no lock.
    private let denials: NIOLoopBoundBox<DenialLimiter>
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
        denials = .makeBoxSendingValue(DenialLimiter(), eventLoop: eventLoop)
    }

    /// Appends the record; `waiter` is called back once it is written, or could not be. Call it on
    /// the batcher's event loop.
    /// - Parameters:
    ///   - entry: the record.
    ///   - waiter: the request that answers once the record is written.
    func submit(_ entry: AuditEntry, for waiter: any AuditWaiter) {
        // A denial answers nothing secret, so one over its caller's budget is counted, not written:
        // its response still waits for the batch, in order.
        if entry.result != "denied" || admitDenial(entry.context) {
            chain.append(entry.context, trail: entry.trail, result: entry.result)
        }
        waiting.value.current.append(waiter)
        if waiting.value.current.count == 1 { eventLoop.execute { self.flush() } }
    }

    /// Whether a denial gets its own record; if not, it is counted, and the first one counted in a
    /// window schedules the record that sums them up at the window's end.
    private func admitDenial(_ context: RequestContext) -> Bool {
        let now = NIODeadline.now()
        let key = DenialLimiter.Key(context.principal)
        let (admitted, scheduleAt) = denials.value.admit(key, context, now: now)
        if let scheduleAt {
            eventLoop.scheduleTask(deadline: scheduleAt) { self.summarize(key) }
        }
        return admitted
    }

    /// Writes the one record that stands for a window's suppressed denials of one caller.
    private func summarize(_ key: DenialLimiter.Key) {
        guard let (context, count) = denials.value.close(key) else { return }
        chain.appendSuppressedDenials(context, count: count)
        // With no request waiting, no flush is scheduled to carry the record.
        if waiting.value.current.isEmpty { flush() }
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

/// Per caller (a uid on the socket, an access key, the token), at most ``burst`` denial records per
/// ``window`` on one event loop; further denials in the window are counted and written as one
/// record (`"suppressed": N`) when it ends. Allowed requests never look here.
struct DenialLimiter {
    /// Denials written one by one per caller and window.
    static let burst = 20
    /// The window.
    static let window = TimeAmount.seconds(5)
    /// Windows kept before the expired ones are dropped.
    static let maxCallers = 4096

    /// A caller, as the limit counts it: every process of one uid together, so forking does not
    /// reset it.
    enum Key: Hashable {
        case uid(UInt32)
        case accessKey(String)
        case token
        case anonymous
        case daemon

        init(_ principal: RequestContext.Principal) {
            switch principal {
            case .process(_, let uid, _, _): self = .uid(uid)
            case .accessKey(let id): self = .accessKey(id)
            case .token: self = .token
            case .anonymous: self = .anonymous
            case .daemon: self = .daemon
            }
        }
    }

    struct Window {
        var start: NIODeadline
        var written = 0
        var suppressed = 0
        /// The last suppressed denial's caller and action, for the summing record.
        var last: RequestContext?
    }

    private var windows: [Key: Window] = [:]

    /// Counts a denial.
    /// - Returns: whether it gets its own record, and when to sum up the window if this is the
    ///   first denial suppressed in it.
    mutating func admit(_ key: Key, _ context: RequestContext, now: NIODeadline) -> (Bool, NIODeadline?) {
        if windows.count >= Self.maxCallers {
            windows = windows.filter { $0.value.suppressed > 0 || $0.value.start + Self.window > now }
        }
        var window = windows[key] ?? Window(start: now)
        if window.suppressed == 0, window.start + Self.window <= now { window = Window(start: now) }
        defer { windows[key] = window }
        if window.written < Self.burst {
            window.written += 1
            return (true, nil)
        }
        window.suppressed += 1
        var trimmed = context
        trimmed.trail = nil
        window.last = trimmed
        return (false, window.suppressed == 1 ? window.start + Self.window : nil)
    }

    /// Ends a caller's window.
    /// - Returns: the last suppressed denial's context and how many were suppressed, if any were.
    mutating func close(_ key: Key) -> (RequestContext, Int)? {
        guard let window = windows.removeValue(forKey: key), window.suppressed > 0, let last = window.last else {
            return nil
        }
        return (last, window.suppressed)
    }
}
