import NIOCore
import NIOHTTP1
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
/// Pipelined requests wait in `queued` until the answer before them is written, and only then does
/// the handler hold back reads. NIO's `HTTPServerPipelineHandler` holds them back whenever an answer
/// is pending, which every answer here is (it waits for its audit record): the socket left and
/// re-joined the epoll set twice per request, 5% of a redeem's CPU.
final class RequestHandler: ChannelDuplexHandler, RemovableChannelHandler, AuditWaiter {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let responder: any HTTPResponder
    private let connection: ConnectionInfo
    private let limits: ServerLimits
    private var maxBodyBytes: Int { limits.maxBodyBytes }
    /// When a connection that waits too long (idle between requests, or mid-request) is closed;
    /// nil while an answer is being made.
    private var expiry: NIODeadline?
    /// Checks `expiry` a few times per timeout. Setting a deadline per request is then a clock
    /// read, not a timer (re)armed twice per request, which cost as much as the request itself.
    private var watchdog: RepeatedTask?
    private let maxConnections: Int
    private let tracker: ConnectionTracker
    private var connectionState: ConnectionTracker.Connection?
    private let audit: AuditBatcher?
    private let recorder: CallRecorder?
    private let metrics: LoopMetrics?
    private var started = NIODeadline.now()
    private var family = ServerMetrics.Family.other
    private var overCapacity = false
    /// An answer is being made or written; a parse error must not start a second one.
    private var answering = false
    private var head: HTTPRequestHead?
    /// The method of the request being answered: answers to HEAD and CONNECT carry no body.
    private var method = HTTPMethod.GET
    private var body: ByteBuffer?
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
    /// The answer held back until its audit record is written, and what is sent instead if it cannot be.
    private var awaitingAudit:
        (response: HTTPResponse, refusal: AuditEntry.Refusal, context: ChannelHandlerContext, keepAlive: Bool)?
    /// The current request is answered (or will be, with 413) without its body: drop the body.
    private var discarding = false
    /// Parts of pipelined requests that arrived while an answer was pending, in order.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    /// A read was asked for while requests were queued; it is passed on once they are answered.
    private var readHeld = false
    private var draining = false
    /// An answer that closes the connection is on its way: nothing read after it is a request.
    private var closing = false

    init(
        responder: any HTTPResponder,
        connection: ConnectionInfo,
        limits: ServerLimits,
        maxConnections: Int,
        tracker: ConnectionTracker,
        audit: AuditBatcher?,
        recorder: CallRecorder?,
        metrics: LoopMetrics?
    ) {
        self.metrics = metrics
        self.audit = audit
        self.recorder = recorder
        self.responder = responder
        self.connection = connection
        self.limits = limits
        self.maxConnections = maxConnections
        self.tracker = tracker
    }

    func channelActive(context: ChannelHandlerContext) {
        let (connection, open) = tracker.opened(context.channel)
        connectionState = connection
        overCapacity = open > maxConnections
        arm(seconds: limits.idleTimeoutSeconds, from: context.eventLoop.now)
        let shortest = min(limits.idleTimeoutSeconds, limits.requestTimeoutSeconds)
        let interval = TimeAmount.milliseconds(max(200, Int64(shortest) * 250))
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let handler = handler.value
            let context = boundContext.value
            if let expiry = handler.expiry, context.eventLoop.now >= expiry { handler.expire(context: context) }
        }
        context.fireChannelActive()
    }

    /// A request that does not parse (NIO's decoder throws) gets a JSON 400, unless an answer is
    /// already on its way; either way nothing after it on this connection can be trusted, so it closes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !answering else {
            context.close(promise: nil)
            return
        }
        head = nil
        body = nil
        discarding = true
        answering = true
        write(
            .error(.badRequest, code: "BadRequest", message: "The request is not valid HTTP/1.1."), context: context,
            keepAlive: false)
    }

    func channelInactive(context: ChannelHandlerContext) {
        queued.removeAll()
        watchdog?.cancel()
        watchdog = nil
        expiry = nil
        tracker.closed(context.channel)
        context.fireChannelInactive()
    }

    /// Closes the connection unless the next step happens within `seconds`: a request head while
    /// idle (a head trickled in byte by byte never completes, so slowloris connections go too), or
    /// the body once the head is in.
    /// - Parameters:
    ///   - seconds: how long the step may take.
    ///   - now: the time, read from the event loop's clock (an `EmbeddedEventLoop`'s in tests).
    private func arm(seconds: Int, from now: NIODeadline) {
        expiry = now + .seconds(Int64(seconds))
    }

    private func expire(context: ChannelHandlerContext) {
        expiry = nil
        guard let head, !discarding else {
            context.close(promise: nil)
            return
        }
        // Mid-body: say why before closing.
        self.head = nil
        body = nil
        discarding = true
        write(responder.requestTimeout(head), context: context, keepAlive: false)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard !closing else { return }
        guard !answering, queued.isEmpty else { return queued.append(part) }
        handle(part, context: context)
    }

    func read(context: ChannelHandlerContext) {
        if queued.isEmpty { context.read() } else { readHeld = true }
    }

    /// Hands queued parts on until one starts an answer; once none are left, the held read goes out.
    private func drain(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !answering, !closing, let part = queued.popFirst() {
            handle(part, context: context)
        }
        if queued.isEmpty, readHeld {
            readHeld = false
            context.read()
        }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let requestHead):
            connectionState?.busy = true
            method = requestHead.method
            // One clock read for the deadline and the latency metric.
            let now = context.eventLoop.now
            arm(seconds: limits.requestTimeoutSeconds, from: now)
            if requestHead.method == .CONNECT {
                // No tunnels: refuse, and close so that nothing after it is read as a tunnel.
                discarding = true
                write(
                    .error(.methodNotAllowed, code: "MethodNotAllowed", message: "CONNECT is not supported"),
                    context: context, keepAlive: false)
                return
            }
            if overCapacity {
                // Answer the first request and close, so the cap frees up at once.
                discarding = true
                write(responder.tooManyConnections(requestHead), context: context, keepAlive: false)
                return
            }
            head = requestHead
            discarding = false
            if metrics != nil {
                started = now
                family = ServerMetrics.family(of: requestHead.uri[...])
            }
            let declared = requestHead.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            if declared > maxBodyBytes {
                // Answer now and close rather than read a body we will not use.
                discarding = true
                write(responder.payloadTooLarge(requestHead), context: context, keepAlive: false)
                return
            }
            body = ByteBuffer()
        case .body(var chunk):
            guard !discarding else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                // Say so at once and close, rather than read a (chunked) body that may never end.
                discarding = true
                body = nil
                if let requestHead = head {
                    head = nil
                    expiry = nil
                    write(responder.payloadTooLarge(requestHead), context: context, keepAlive: false)
                }
            } else if body?.readableBytes == 0 {
                // A body in one chunk (nearly all) is kept as the decoder's slice, not copied twice.
                body = chunk
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end:
            // Complete: the answer may take a thread-pool write; no deadline while it is made.
            expiry = nil
            guard let requestHead = head else { return }
            head = nil
            if discarding {
                if body == nil, context.channel.isActive {
                    write(responder.payloadTooLarge(requestHead), context: context, keepAlive: false)
                }
                return
            }
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            let request = HTTPRequest(head: requestHead, body: bytes, connection: connection)
            let keepAlive = requestHead.isKeepAlive
            answering = true
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
    }

    /// Writes the response once its audit record, if it has one, is written; otherwise the refusal.
    /// The response is moved, not copied, on its way: each copy of it was 1% of a redeem.
    private func send(_ response: consuming HTTPResponse, context: ChannelHandlerContext, keepAlive: Bool) {
        guard let entry = response.audit.take() else { return write(response, context: context, keepAlive: keepAlive) }
        recorder?.record(entry, status: response.status.code)
        guard entry.logged else { return write(response, context: context, keepAlive: keepAlive) }
        guard let audit else { return write(entry.refusal.response, context: context, keepAlive: keepAlive) }
        awaitingAudit = (response, entry.refusal, context, keepAlive)
        audit.submit(entry, for: self)
    }

    func auditRecordDone(written: Bool) {
        guard let (response, refusal, context, keepAlive) = awaitingAudit.take() else { return }
        if written {
            write(response, context: context, keepAlive: keepAlive)
        } else {
            write(refusal.response, context: context, keepAlive: keepAlive)
        }
    }

    private func write(_ response: HTTPResponse, context: ChannelHandlerContext, keepAlive: Bool) {
        metrics?.request(
            operation: response.operation ?? family.label, status: response.status.code, family: family,
            started: started)
        let keepAlive = keepAlive && !tracker.isDraining
        var buffer = output.take() ?? context.channel.allocator.buffer(capacity: 1024)
        buffer.clear()
        guard let bodyRange = ResponseEncoder.encode(response, method: method, keepAlive: keepAlive, into: &buffer)
        else {
            let failure = HTTPResponse.error(
                .internalServerError, code: "internal", message: "The response had a header that is not valid HTTP.")
            return write(failure, context: context, keepAlive: false)
        }
        if !keepAlive { closing = true }
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
        answering = false
        let channel = answer.context.channel
        if !answer.keepAlive {
            channel.close(promise: nil)
        } else if channel.isActive {
            arm(seconds: limits.idleTimeoutSeconds, from: channel.eventLoop.now)
            drain(context: answer.context)
        }
    }
}
