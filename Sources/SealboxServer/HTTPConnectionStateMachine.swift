import NIOCore
import NIOHTTP1
import SealboxCore

/// One HTTP/1.1 connection's protocol logic, without I/O: which request is being received or
/// answered, what is queued behind it, when the connection expires, and when it closes. Each event
/// is a mutating call that returns what ``RequestHandler`` must do; the machine never calls out.
///
/// Pipelined requests wait in a queue while an answer is being made or written, and reads are held
/// back only while that queue is not empty. NIO's `HTTPServerPipelineHandler` holds them back
/// whenever an answer is pending, which every answer here is (it waits for its audit record): the
/// socket would leave and re-join the epoll set twice per request.
///
/// Deadlines are stored, not scheduled: the handler's watchdog calls ``timerFired(now:)`` a few times
/// per timeout, so a request costs a clock read rather than a timer armed and cancelled.
struct HTTPConnectionStateMachine {
    /// Where the connection is between requests and answers.
    enum State {
        /// No request has started: waiting for a head, under the idle deadline.
        case idle
        /// A head is in and its body is being collected, under the request deadline.
        case receivingBody(HTTPRequestHead, ByteBuffer)
        /// The responder is making the answer to a complete request.
        case answering(keepAlive: Bool)
        /// The answer is made and waits until its audit record is written; `refusal` is sent
        /// instead if the record cannot be (nil: the answer is sent anyway).
        case awaitingAudit(HTTPResponse, refusal: AuditEntry.Refusal?, keepAlive: Bool)
        /// An answer that keeps the connection open is being written.
        case writing
        /// An answer after which the connection closes is on its way; nothing read is a request any
        /// more. While `answering`, the answer is the responder's or a 400 and a parse error closes
        /// at once; otherwise it is a refusal (413, 408, 429, 405) and a parse error is answered too.
        case closing(answering: Bool)
    }

    /// Why a request is refused without the responder; each refusal closes the connection.
    enum Refusal: Equatable {
        /// A `CONNECT` request (405): no tunnels.
        case methodNotAllowed
        /// A request on a connection beyond the connection cap (429).
        case tooManyConnections(HTTPRequestHead)
        /// A body over the limit, declared or received (413).
        case payloadTooLarge(HTTPRequestHead)
        /// A body that did not arrive before the request deadline (408).
        case requestTimeout(HTTPRequestHead)
        /// Bytes that are not HTTP/1.1 (400).
        case badRequest
    }

    /// What the handler does after an event.
    enum Action {
        /// Nothing until the next event.
        case wait
        /// Hand the complete request to the responder.
        case respond(HTTPRequestHead, body: ByteBuffer)
        /// Write the answer whose audit record is done; it keeps the connection open if `keepAlive`.
        case write(HTTPResponse, keepAlive: Bool)
        /// Write the refusal; the connection closes once it is written.
        case refuse(Refusal)
        /// Hand the queued request parts on (``nextQueuedPart()``), then ``releaseHeldRead()``.
        case drain
        /// Close the connection now.
        case close
    }

    /// Whether a part that arrived is handled now, waits, or is dropped.
    enum Admission: Equatable {
        /// Handle it now.
        case handle
        /// It was queued behind the answer in progress.
        case queued
        /// The connection is closing: it is not a request.
        case dropped
    }

    private(set) var state = State.idle
    /// When the connection is closed unless the current step completes; nil while an answer is made.
    private(set) var expiry: NIODeadline?
    /// When the connection is closed unless a request has passed authentication by then; nil once
    /// one has, and on connections whose peer is known from the start (the Unix socket).
    private(set) var authenticationExpiry: NIODeadline?
    /// The method of the latest request head: answers to HEAD and CONNECT carry no body.
    private(set) var method = HTTPMethod.GET
    /// Parts of pipelined requests that arrived while an answer was pending, in order.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    /// A read was asked for while requests were queued; it is passed on once they are handled.
    private var readHeld = false
    private var overCapacity = false
    private let maxBodyBytes: Int
    private let requestTimeout: TimeAmount
    private let idleTimeout: TimeAmount

    /// - Parameter limits: the body limit and the request and idle timeouts.
    init(limits: ServerLimits) {
        maxBodyBytes = limits.maxBodyBytes
        requestTimeout = .seconds(Int64(limits.requestTimeoutSeconds))
        idleTimeout = .seconds(Int64(limits.idleTimeoutSeconds))
    }

    /// The largest Secrets Manager request: a 64 KiB SecretString of control characters is 384 KiB
    /// of JSON `\u` escapes (as boto3 and the AWS CLI send non-ASCII text), with 50 tags beside it.
    static let maxSecretBodyBytes = 512 * 1024

    /// Whether a body over the limit is a Secrets Manager call within its own, larger one. Asked
    /// only past the limit, so other requests pay nothing for it.
    private static func mayCarryASecret(_ head: HTTPRequestHead, _ bytes: Int) -> Bool {
        bytes <= maxSecretBodyBytes && head.headers.first(name: "x-amz-target")?.hasPrefix("secretsmanager.") == true
    }

    /// Whether the queue holds parts of requests not yet handled.
    var hasQueuedParts: Bool { !queued.isEmpty }

    /// The connection opened; the idle deadline starts, and the authentication deadline if given.
    /// - Parameters:
    ///   - overCapacity: whether it is beyond the connection cap, so that its first request gets 429.
    ///   - now: the time.
    ///   - authenticateWithin: how long it has to get a request through authentication, or nil.
    mutating func channelActive(overCapacity: Bool, now: NIODeadline, authenticateWithin: TimeAmount? = nil) {
        self.overCapacity = overCapacity
        expiry = now + idleTimeout
        authenticationExpiry = authenticateWithin.map { now + $0 }
    }

    /// A request passed authentication: the connection keeps only the idle and request deadlines.
    mutating func authenticated() {
        authenticationExpiry = nil
    }

    /// The connection closed: queued parts are dropped and no deadline runs. An answer still in
    /// progress completes (its write fails), so that a sensitive buffer is still wiped.
    mutating func channelInactive() {
        queued.removeAll()
        expiry = nil
    }

    /// Decides what becomes of a part the decoder produced; a queued part is kept here.
    /// - Parameter part: a head, body chunk or end.
    mutating func admit(_ part: HTTPServerRequestPart) -> Admission {
        switch state {
        case .closing:
            return .dropped
        case .answering, .awaitingAudit, .writing:
            queued.append(part)
            return .queued
        case .idle, .receivingBody:
            guard queued.isEmpty else {
                queued.append(part)
                return .queued
            }
            return .handle
        }
    }

    /// The next queued part to handle, or nil once none is left or an answer is in progress again.
    mutating func nextQueuedPart() -> HTTPServerRequestPart? {
        switch state {
        case .idle, .receivingBody: return queued.popFirst()
        case .answering, .awaitingAudit, .writing, .closing: return nil
        }
    }

    /// A read was asked for.
    /// - Returns: whether to pass it on now; otherwise it is held until the queued parts are handled.
    mutating func readRequested() -> Bool {
        guard queued.isEmpty else {
            readHeld = true
            return false
        }
        return true
    }

    /// Called once the queue has been drained as far as it can be.
    /// - Returns: whether a held read should now be passed on.
    mutating func releaseHeldRead() -> Bool {
        guard queued.isEmpty, readHeld else { return false }
        readHeld = false
        return true
    }

    /// A request head, handled (not queued). The request deadline starts.
    /// - Parameters:
    ///   - head: the head.
    ///   - now: the time.
    /// - Returns: `.wait` while its body is collected, or the refusal that ends the connection.
    mutating func head(_ head: HTTPRequestHead, now: NIODeadline) -> Action {
        method = head.method
        expiry = now + requestTimeout
        if head.method == .CONNECT {
            // No tunnels: refuse, and close so that nothing after it is read as a tunnel.
            return refuse(.methodNotAllowed)
        }
        if overCapacity {
            // Answer the first request and close, so the cap frees up at once.
            return refuse(.tooManyConnections(head))
        }
        let declared = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
        if declared > maxBodyBytes, !Self.mayCarryASecret(head, declared) {
            // Answer now and close rather than read a body that will not be used.
            return refuse(.payloadTooLarge(head))
        }
        state = .receivingBody(head, ByteBuffer())
        return .wait
    }

    /// A chunk of the current request's body, handled (not queued).
    /// - Parameter chunk: the bytes.
    /// - Returns: `.wait`, or 413 once the body is over the limit.
    mutating func body(_ chunk: ByteBuffer) -> Action {
        guard case .receivingBody(let head, var body) = state else { return .wait }
        let total = body.readableBytes + chunk.readableBytes
        if total > maxBodyBytes, !Self.mayCarryASecret(head, total) {
            // Say so at once and close, rather than read a (chunked) body that may never end.
            expiry = nil
            return refuse(.payloadTooLarge(head))
        }
        // The state lets go of the buffer first, so that appending does not copy it.
        state = .idle
        if body.readableBytes == 0 {
            // A body in one chunk (nearly all) is kept as the decoder's slice, not copied twice.
            body = chunk
        } else {
            var chunk = chunk
            body.writeBuffer(&chunk)
        }
        state = .receivingBody(head, body)
        return .wait
    }

    /// The end of the current request, handled (not queued). No deadline runs while it is answered.
    /// - Returns: `.respond` with the whole request; `.wait` if no request was being received.
    mutating func end() -> Action {
        guard case .receivingBody(let head, let body) = state else { return .wait }
        expiry = nil
        state = .answering(keepAlive: head.isKeepAlive)
        return .respond(head, body: body)
    }

    /// The answer is made but must wait for its audit record.
    /// - Parameters:
    ///   - response: the answer.
    ///   - refusal: what is sent instead if the record cannot be written.
    ///   - keepAlive: whether the connection stays open after it.
    mutating func awaitAudit(_ response: consuming HTTPResponse, refusal: AuditEntry.Refusal?, keepAlive: Bool) {
        state = .awaitingAudit(response, refusal: refusal, keepAlive: keepAlive)
    }

    /// The audit record of the waiting answer is written, or could not be.
    /// - Parameter written: whether it reached the log.
    /// - Returns: the answer to write (the refusal if not `written`); `.wait` if none was waiting.
    mutating func auditDone(written: Bool) -> Action {
        guard case .awaitingAudit(let response, let refusal, let keepAlive) = state else { return .wait }
        state = .answering(keepAlive: keepAlive)
        guard !written, let refusal else { return .write(response, keepAlive: keepAlive) }
        return .write(refusal.response, keepAlive: keepAlive)
    }

    /// An answer was handed to the channel.
    /// - Parameter keepAlive: whether the connection stays open after it, as written.
    mutating func answerSent(keepAlive: Bool) {
        switch state {
        case .answering, .awaitingAudit, .writing:
            state = keepAlive ? .writing : .closing(answering: true)
        case .closing:
            break
        case .idle, .receivingBody:
            // Refusals have moved to `.closing` already; an answer here is one the handler made itself.
            if !keepAlive { state = .closing(answering: false) }
        }
    }

    /// The oldest answer handed to the channel was written, or failed to be.
    /// - Parameters:
    ///   - keepAlive: whether that answer kept the connection open.
    ///   - channelActive: whether the channel is still open.
    ///   - now: the time.
    /// - Returns: `.close` after a last answer; `.drain` when the connection goes on; else `.wait`.
    mutating func writeCompleted(keepAlive: Bool, channelActive: Bool, now: NIODeadline) -> Action {
        switch state {
        case .writing: state = .idle
        case .closing: state = .closing(answering: false)
        case .idle, .receivingBody, .answering, .awaitingAudit: break
        }
        guard keepAlive else { return .close }
        guard channelActive else { return .wait }
        expiry = now + idleTimeout
        return .drain
    }

    /// The watchdog's check.
    /// - Parameter now: the time.
    /// - Returns: `.wait` before the deadlines; after one, 408 mid-body, else `.close`. The
    ///   authentication deadline does not cut an answer short: it is checked again once it is written.
    mutating func timerFired(now: NIODeadline) -> Action {
        if let deadline = authenticationExpiry, now >= deadline {
            switch state {
            case .idle, .receivingBody:
                authenticationExpiry = nil
                expiry = now
            case .answering, .awaitingAudit, .writing, .closing:
                break
            }
        }
        guard let deadline = expiry, now >= deadline else { return .wait }
        expiry = nil
        guard case .receivingBody(let head, _) = state else { return .close }
        // Mid-body: say why before closing.
        return refuse(.requestTimeout(head))
    }

    /// The decoder failed: the bytes are not HTTP/1.1, and nothing after them can be trusted.
    /// - Returns: 400, unless an answer to a request is already on its way; then `.close`.
    mutating func parseError() -> Action {
        switch state {
        case .idle, .receivingBody, .closing(answering: false):
            state = .closing(answering: true)
            return .refuse(.badRequest)
        case .answering, .awaitingAudit, .writing, .closing(answering: true):
            return .close
        }
    }

    private mutating func refuse(_ refusal: Refusal) -> Action {
        state = .closing(answering: false)
        return .refuse(refusal)
    }
}
