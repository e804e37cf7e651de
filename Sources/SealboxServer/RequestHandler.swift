import NIOCore
import NIOHTTP1
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// Answers fully received requests.
public protocol HTTPResponder: Sendable {
    /// Routes one request.
    /// - Parameters:
    ///   - request: the request.
    ///   - eventLoop: the connection's event loop; deferred work completes a future on it.
    func respond(to request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult

    /// The response for a body over the size limit.
    /// - Parameter head: the request's head.
    func payloadTooLarge(_ head: HTTPRequestHead) -> HTTPResponse

    /// The response for a body that did not arrive within the request timeout (408).
    /// - Parameter head: the request's head.
    func requestTimeout(_ head: HTTPRequestHead) -> HTTPResponse

    /// The response for a request on a connection beyond the connection cap (429).
    /// - Parameter head: the request's head.
    func tooManyConnections(_ head: HTTPRequestHead) -> HTTPResponse
}

/// Collects one HTTP/1.1 request at a time, hands it to the responder, and writes the answer. Bodies
/// over the limit get 413 without being buffered.
///
/// The protocol decisions (what is queued, when a read is held, when the connection expires or
/// closes) are ``HTTPConnectionStateMachine``'s; this handler feeds it the channel's events and
/// carries out the actions it returns.
final class RequestHandler: ChannelDuplexHandler, RemovableChannelHandler, AuditWaiter {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let responder: any HTTPResponder
    private let connection: ConnectionInfo
    private let limits: ServerLimits
    /// Stored inline: events and actions are plain values, with no allocation per request.
    private var machine: HTTPConnectionStateMachine
    /// Checks the machine's deadline a few times per timeout. Setting a deadline per request is then
    /// a clock read, not a timer (re)armed twice per request, which cost as much as the request itself.
    private var watchdog: RepeatedTask?
    private let tracker: ConnectionTracker
    private var connectionState: ConnectionTracker.Connection?
    private let audit: AuditBatcher?
    private let recorder: CallRecorder?
    private let served: ServedRecord?
    /// What this connection's process was served and is in ``served`` already, as of the record's
    /// generation: a handler redeeming one lease on a kept-alive connection records it once, and
    /// then takes no lock for it.
    private var recordedServed: (generation: Int, secrets: Set<ServedSecret>) = (0, [])
    private let metrics: LoopMetrics?
    private var started = NIODeadline.now()
    /// The last answer's buffer, written into again once the socket has taken it.
    private var output: ByteBuffer?
    /// An answer handed to the socket, kept until its write completes. Writes complete in order, so
    /// each completion takes the first.
    private struct SentAnswer {
        var buffer: ByteBuffer
        /// Where the plaintext sits in `buffer`, if the answer holds a secret.
        var plaintext: UnsafeMutableRawBufferPointer?
        var keepAlive: Bool
        var context: ChannelHandlerContext
    }

    private var sent = CircularBuffer<SentAnswer>(initialCapacity: 2)
    /// The context of the answer waiting for its audit record; set exactly while the machine is in
    /// `.awaitingAudit`.
    private var auditContext: ChannelHandlerContext?
    /// Queued parts are being handed on: an answer completed meanwhile must not start a second pass.
    private var draining = false
    /// A TCP connection none of whose requests has passed authentication yet: the first answer that
    /// names an action (only authenticated requests get one) lifts its authentication deadline. After
    /// that, an answer costs only this flag's test.
    private var awaitingAuthentication = false

    init(
        responder: any HTTPResponder,
        connection: ConnectionInfo,
        limits: ServerLimits,
        tracker: ConnectionTracker,
        audit: AuditBatcher?,
        recorder: CallRecorder?,
        served: ServedRecord? = nil,
        metrics: LoopMetrics?
    ) {
        self.metrics = metrics
        self.audit = audit
        self.recorder = recorder
        self.served = served
        self.responder = responder
        self.connection = connection
        self.limits = limits
        self.tracker = tracker
        machine = HTTPConnectionStateMachine(limits: limits)
    }

    func channelActive(context: ChannelHandlerContext) {
        let listener: ConnectionTracker.Listener
        switch connection.transport {
        case .unix: listener = .unix
        case .tcp: listener = .tcp
        }
        let (opened, open) = tracker.opened(context.channel, on: listener)
        connectionState = opened
        var shortest = min(limits.idleTimeoutSeconds, limits.requestTimeoutSeconds)
        var authenticateWithin: TimeAmount?
        if listener == .tcp, limits.preAuthTimeoutSeconds > 0 {
            awaitingAuthentication = true
            authenticateWithin = .seconds(Int64(limits.preAuthTimeoutSeconds))
            shortest = min(shortest, limits.preAuthTimeoutSeconds)
        }
        machine.channelActive(
            overCapacity: open > limits.maxConnections, now: context.eventLoop.now,
            authenticateWithin: authenticateWithin)
        let interval = TimeAmount.milliseconds(max(200, Int64(shortest) * 250))
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            handler.value.timerFired(context: boundContext.value)
        }
        context.fireChannelActive()
    }

    private func timerFired(context: ChannelHandlerContext) {
        let action = machine.timerFired(now: context.eventLoop.now)
        perform(action, context: context)
    }

    /// A request that does not parse (NIO's decoder throws) gets a JSON 400, unless an answer is
    /// already on its way; either way nothing after it on this connection can be trusted, so it closes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else { return context.close(promise: nil) }
        perform(machine.parseError(), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.channelInactive()
        watchdog?.cancel()
        watchdog = nil
        tracker.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch machine.admit(part) {
        case .handle: handle(part, context: context)
        case .queued, .dropped: break
        }
    }

    func read(context: ChannelHandlerContext) {
        if machine.readRequested() { context.read() }
    }

    /// Hands queued parts on until one starts an answer; once none are left, the held read goes out.
    private func drain(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while let part = machine.nextQueuedPart() {
            handle(part, context: context)
        }
        if machine.releaseHeldRead() { context.read() }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            connectionState?.busy = true
            // One clock read for the deadline and the latency metric.
            let now = context.eventLoop.now
            started = now
            perform(machine.head(head, now: now), context: context)
        case .body(let chunk):
            perform(machine.body(chunk), context: context)
        case .end:
            perform(machine.end(), context: context)
        }
    }

    private func perform(_ action: consuming HTTPConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch consume action {
        case .wait:
            break
        case .respond(let head, let body):
            respond(head, body: body, context: context)
        case .write(let response, let keepAlive):
            write(response, context: context, keepAlive: keepAlive)
        case .refuse(let refusal):
            write(response(for: refusal), context: context, keepAlive: false)
        case .drain:
            drain(context: context)
        case .close:
            context.close(promise: nil)
        }
    }

    private func response(for refusal: HTTPConnectionStateMachine.Refusal) -> HTTPResponse {
        switch refusal {
        case .methodNotAllowed:
            .error(.methodNotAllowed, code: "MethodNotAllowed", message: "CONNECT is not supported")
        case .tooManyConnections(let head): responder.tooManyConnections(head)
        case .payloadTooLarge(let head): responder.payloadTooLarge(head)
        case .requestTimeout(let head): responder.requestTimeout(head)
        case .badRequest: .error(.badRequest, code: "BadRequest", message: "The request is not valid HTTP/1.1.")
        }
    }

    private func respond(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let request = HTTPRequest(head: head, body: Array(body.readableBytesView), connection: connection)
        let keepAlive = head.isKeepAlive
        let result = responder.respond(to: request, on: context.eventLoop)
        // Consumed, so the response is moved out of the result rather than copied.
        switch consume result {
        case .now(let response):
            send(response, context: context, keepAlive: keepAlive)
        case .later(let future):
            future.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                let response: HTTPResponse
                switch result {
                case .success(let value): response = value
                case .failure: response = .error(.internalServerError, code: "internal", message: "internal error")
                }
                self.send(response, context: context, keepAlive: keepAlive)
            }
        }
    }

    /// Adds what the request served to `record`, unless this connection recorded it already.
    private func record(_ entry: AuditEntry, in record: ServedRecord) {
        let generation = record.generation
        if recordedServed.generation != generation { recordedServed = (generation, []) }
        guard !entry.trail.servedOnly(recordedServed.secrets) else { return }
        record.record(entry)
        // Bounded: a connection that is served many secrets keeps recording them, as without a cache.
        if recordedServed.secrets.count < 64 { recordedServed.secrets.formUnion(entry.trail.servedSecrets) }
    }

    /// Writes the response once its audit record, if it has one, is written; otherwise the refusal.
    /// The response is moved, not copied, on its way: it may carry a large body and an audit entry.
    private func send(_ response: consuming HTTPResponse, context: ChannelHandlerContext, keepAlive: Bool) {
        guard let entry = response.audit.take() else { return write(response, context: context, keepAlive: keepAlive) }
        recorder?.record(entry, status: response.status.code)
        if let served { record(entry, in: served) }
        guard entry.logged else { return write(response, context: context, keepAlive: keepAlive) }
        guard let audit else {
            guard let refusal = entry.refusal else { return write(response, context: context, keepAlive: keepAlive) }
            return write(refusal.response, context: context, keepAlive: keepAlive)
        }
        machine.awaitAudit(response, refusal: entry.refusal, keepAlive: keepAlive)
        auditContext = context
        audit.submit(entry, for: self)
    }

    func auditRecordDone(written: Bool) {
        guard let context = auditContext.take() else { return }
        perform(machine.auditDone(written: written), context: context)
    }

    private func write(_ response: HTTPResponse, context: ChannelHandlerContext, keepAlive: Bool) {
        metrics?.request(
            action: response.operation, status: response.status.code, family: response.family, started: started)
        if awaitingAuthentication, response.operation != nil {
            awaitingAuthentication = false
            machine.authenticated()
        }
        let keepAlive = keepAlive && !tracker.isDraining
        var buffer = output.take() ?? context.channel.allocator.buffer(capacity: 1024)
        buffer.clear()
        guard
            let bodyRange = ResponseEncoder.encode(
                response, method: machine.method, keepAlive: keepAlive, into: &buffer)
        else {
            let failure = HTTPResponse.error(
                .internalServerError, code: "internal", message: "The response had a header that is not valid HTTP.")
            return write(failure, context: context, keepAlive: false)
        }
        machine.answerSent(keepAlive: keepAlive)
        var sensitive: UnsafeMutableRawBufferPointer? = nil
        if case .sensitive = response.body {
            // Remember where the plaintext sits: wiping through a mutating ByteBuffer call after the
            // write could copy-on-write and wipe a copy instead.
            sensitive = buffer.withUnsafeReadableBytes {
                UnsafeMutableRawBufferPointer(mutating: UnsafeRawBufferPointer(rebasing: $0[bodyRange]))
            }
        }
        sent.append(SentAnswer(buffer: buffer, plaintext: sensitive, keepAlive: keepAlive, context: context))
        // The callback holds only the handler: capturing the answer's parts took a box per answer.
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in self.answerWritten() }
    }

    /// The socket took the first answer in ``sent``, or the channel failed it: wipe its plaintext,
    /// keep its buffer, and go on with the connection.
    private func answerWritten() {
        guard let answer = sent.popFirst() else { return }
        if let plaintext = answer.plaintext {
            // `answer.buffer` still owns the storage, so the pointer is valid.
            withExtendedLifetime(answer.buffer) { Sodium.zero(plaintext) }
        }
        // Large answers (a big GetParametersByPath page) are not kept for the connection's life.
        if answer.buffer.capacity <= 16 * 1024 { output = answer.buffer }
        connectionState?.busy = false
        let channel = answer.context.channel
        let action = machine.writeCompleted(
            keepAlive: answer.keepAlive, channelActive: channel.isActive, now: channel.eventLoop.now)
        switch action {
        case .close: channel.close(promise: nil)
        default: perform(action, context: answer.context)
        }
    }
}
