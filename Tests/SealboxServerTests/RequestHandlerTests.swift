import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxServer

/// The real ``RequestHandler`` behind NIO's real HTTP/1.1 decoder (the pipeline `HTTPServer.configure`
/// builds), on an `EmbeddedChannel`: requests go in as bytes and answers come out as bytes.
@Suite struct RequestHandlerTests {
    /// Answers each request with `{"path":"<uri>"}`, at once or when the test completes its promise.
    final class StubResponder: HTTPResponder {
        private struct Calls {
            var requests: [HTTPRequest] = []
            var promises: [EventLoopPromise<HTTPResponse>] = []
        }

        private let calls = Locked(Calls())
        private let later: Bool
        private let make: @Sendable (HTTPRequest) -> HTTPResponse

        init(later: Bool = false, make: @escaping @Sendable (HTTPRequest) -> HTTPResponse = StubResponder.echo) {
            self.later = later
            self.make = make
        }

        static func echo(_ request: HTTPRequest) -> HTTPResponse {
            HTTPResponse(status: .ok, headers: .json, body: .json(Array(#"{"path":"\#(request.head.uri)"}"#.utf8)))
        }

        var requests: [HTTPRequest] { calls.withLock { $0.requests } }

        /// Completes the oldest pending `.later` answer with the response made for its request.
        func completeNext() {
            let next = calls.withLock { calls -> (EventLoopPromise<HTTPResponse>, HTTPRequest)? in
                guard !calls.promises.isEmpty else { return nil }
                let index = calls.requests.count - calls.promises.count
                return (calls.promises.removeFirst(), calls.requests[index])
            }
            guard let (promise, request) = next else { return }
            promise.succeed(make(request))
        }

        func respond(to request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult {
            guard later else {
                calls.withLock { $0.requests.append(request) }
                return .now(make(request))
            }
            let promise = eventLoop.makePromise(of: HTTPResponse.self)
            calls.withLock {
                $0.requests.append(request)
                $0.promises.append(promise)
            }
            return .later(promise.futureResult)
        }

        func payloadTooLarge(_ head: HTTPRequestHead) -> HTTPResponse {
            .error(.payloadTooLarge, code: "TooLarge", message: "too large")
        }

        func requestTimeout(_ head: HTTPRequestHead) -> HTTPResponse {
            .error(.requestTimeout, code: "Timeout", message: "too slow")
        }

        func tooManyConnections(_ head: HTTPRequestHead) -> HTTPResponse {
            .error(.tooManyRequests, code: "TooMany", message: "too many")
        }
    }

    /// Counts the reads that reach the head of the pipeline, past the handler.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var count = 0

        func read(context: ChannelHandlerContext) {
            count += 1
            context.read()
        }
    }

    private static let limits: ServerLimits = {
        var limits = ServerLimits()
        limits.maxBodyBytes = 64
        limits.requestTimeoutSeconds = 2
        limits.idleTimeoutSeconds = 4
        limits.maxConnections = 8
        return limits
    }()

    /// A connected channel with the server's pipeline around `responder`.
    private func connect(
        _ responder: StubResponder,
        limits: ServerLimits = Self.limits,
        tracker: ConnectionTracker = ConnectionTracker(),
        audit: (EmbeddedChannel) -> AuditBatcher? = { _ in nil },
        reads: ReadCounter? = nil
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        if let reads { try channel.pipeline.syncOperations.addHandler(reads) }
        let handler = RequestHandler(
            responder: responder, connection: ConnectionInfo(transport: .tcp), limits: limits, tracker: tracker,
            audit: audit(channel), recorder: nil, metrics: nil)
        try HTTPServer.configure(channel.pipeline.syncOperations, handler, limits: limits)
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 8080), promise: nil)
        #expect(channel.isActive)
        return channel
    }

    /// Everything written to the connection so far, as text.
    private func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    private func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
        channel.embeddedEventLoop.run()
    }

    private static func okAnswer(_ path: String, close: Bool = false) -> String {
        let body = #"{"path":"\#(path)"}"#
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + (close ? "Connection: close\r\n" : "") + "\r\n" + body
    }

    @Test func simpleGetIsAnsweredAndTheConnectionStaysOpen() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try output(channel) == Self.okAnswer("/a?x=1"))
        #expect(responder.requests.map(\.head.uri) == ["/a?x=1"])
        #expect(channel.isActive)
    }

    @Test func requestBodyReachesTheResponderWhole() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "POST /p HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello")
        #expect(try output(channel).isEmpty)
        try send(channel, " world")
        #expect(try output(channel) == Self.okAnswer("/p"))
        #expect(responder.requests.map { String(decoding: $0.body, as: UTF8.self) } == ["hello world"])
    }

    @Test func keepAliveAnswersSequentialRequests() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "GET /one HTTP/1.1\r\n\r\n")
        #expect(try output(channel) == Self.okAnswer("/one"))
        try send(channel, "GET /two HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(try output(channel) == Self.okAnswer("/two", close: true))
        #expect(responder.requests.map(\.head.uri) == ["/one", "/two"])
        #expect(!channel.isActive)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\n")
        #expect(try output(channel) == Self.okAnswer("/one") + Self.okAnswer("/two"))
        #expect(channel.isActive)
    }

    @Test func pipelinedRequestWaitsForTheAnswerBeforeIt() throws {
        let responder = StubResponder(later: true)
        let reads = ReadCounter()
        let channel = try connect(responder, reads: reads)
        try send(channel, "GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\n")
        #expect(responder.requests.map(\.head.uri) == ["/one"])
        #expect(try output(channel).isEmpty)
        // A request is queued: the read waits until it has been answered.
        let before = reads.count
        channel.read()
        #expect(reads.count == before)
        responder.completeNext()
        #expect(try output(channel) == Self.okAnswer("/one"))
        #expect(responder.requests.map(\.head.uri) == ["/one", "/two"])
        #expect(reads.count == before + 1)
        responder.completeNext()
        #expect(try output(channel) == Self.okAnswer("/two"))
    }

    @Test func pendingAnswerAloneDoesNotHoldReads() throws {
        let responder = StubResponder(later: true)
        let reads = ReadCounter()
        let channel = try connect(responder, reads: reads)
        try send(channel, "GET /one HTTP/1.1\r\n\r\n")
        let before = reads.count
        channel.read()
        #expect(reads.count == before + 1)
        responder.completeNext()
        #expect(try output(channel) == Self.okAnswer("/one"))
    }

    @Test func declaredOversizeBodyGets413AtOnceAndCloses() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        // Only the head: the answer must not wait for the body.
        try send(channel, "POST /p HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(text.contains("\r\nConnection: close\r\n"))
        #expect(responder.requests.isEmpty)
        #expect(!channel.isActive)
    }

    @Test func chunkedBodyOverTheLimitGets413AndCloses() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(
            channel, "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" + String(repeating: "a", count: 32))
        #expect(try output(channel).isEmpty)
        #expect(channel.isActive)
        try send(channel, "\r\n28\r\n" + String(repeating: "b", count: 40) + "\r\n")
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(responder.requests.isEmpty)
        #expect(!channel.isActive)
    }

    @Test func bodyThatStallsGets408() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "POST /p HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try output(channel).isEmpty)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(text.contains("\r\nConnection: close\r\n"))
        #expect(responder.requests.isEmpty)
        #expect(!channel.isActive)
    }

    @Test func idleConnectionIsClosedSilently() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "GET /a HTTP/1.1\r\n\r\n")
        #expect(try output(channel) == Self.okAnswer("/a"))
        // Longer than the request timeout, shorter than the idle one: still open.
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(try output(channel).isEmpty)
    }

    @Test func slowHeadIsClosedAtTheIdleTimeout() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "GET /a HTTP/1.1\r\nHost:")
        // A head in progress is under the idle deadline, not the shorter request one.
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        // Closing makes the decoder reject the torn head; the 400 for it goes to a closed channel.
        #expect(!(try output(channel).contains("200 OK")))
        #expect(responder.requests.isEmpty)
    }

    @Test func connectionOverTheCapGets429AndCloses() throws {
        let responder = StubResponder()
        let tracker = ConnectionTracker()
        var limits = Self.limits
        limits.maxConnections = 1
        let first = try connect(responder, limits: limits, tracker: tracker)
        let second = try connect(responder, limits: limits, tracker: tracker)
        try send(second, "GET /a HTTP/1.1\r\n\r\n")
        let text = try output(second)
        #expect(text.hasPrefix("HTTP/1.1 429 Too Many Requests\r\n"))
        #expect(text.contains("\r\nConnection: close\r\n"))
        #expect(!second.isActive)
        try send(first, "GET /b HTTP/1.1\r\n\r\n")
        #expect(try output(first) == Self.okAnswer("/b"))
        #expect(responder.requests.map(\.head.uri) == ["/b"])
    }

    /// A response that must wait for its audit record.
    private static func audited(_ request: HTTPRequest) -> HTTPResponse {
        var response = StubResponder.echo(request)
        response.audit = AuditEntry(
            context: RequestContext(region: "r", accountID: "1", principal: .anonymous), trail: AuditTrail(),
            result: "allowed")
        return response
    }

    private func batcher(path: String, on channel: EmbeddedChannel) throws -> AuditBatcher {
        let log = try AuditLog(path: path, key: SecureBytes(copying: [UInt8](repeating: 7, count: 32)))
        return AuditBatcher(
            chain: log.makeChain(), eventLoop: channel.embeddedEventLoop, failures: nil,
            logger: Logger(label: "test"))
    }

    @Test func answerWaitsForItsAuditRecord() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let responder = StubResponder(make: Self.audited)
        let channel = try connect(responder, audit: { try? batcher(path: path, on: $0) })
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\n\r\n"))
        // The record is written when the loop runs its queued work, and only then the answer.
        #expect(try output(channel).isEmpty)
        channel.embeddedEventLoop.run()
        #expect(try output(channel) == Self.okAnswer("/a"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains(#""result":"allowed""#))
        #expect(channel.isActive)
    }

    @Test func failedAuditWriteSendsTheRefusalInsteadOfTheAnswer() throws {
        let responder = StubResponder(make: Self.audited)
        // Every write to /dev/full fails.
        let channel = try connect(responder, audit: { try? batcher(path: "/dev/full", on: $0) })
        try send(channel, "GET /a HTTP/1.1\r\n\r\n")
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(text.contains(#""error":"AuditUnavailable""#))
        #expect(!text.contains("/a"))
        // The refusal keeps the request's own keep-alive: the connection closes when the request asked.
        #expect(channel.isActive)
        try send(channel, "GET /b HTTP/1.1\r\nConnection: close\r\n\r\n")
        let second = try output(channel)
        #expect(second.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(second.contains("\r\nConnection: close\r\n"))
        #expect(!channel.isActive)
    }

    @Test func headAnswerHasNoBody() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "HEAD /a HTTP/1.1\r\n\r\n")
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.hasSuffix("Content-Length: 13\r\n\r\n"))
        #expect(channel.isActive)
    }

    @Test func connectIsRefusedAndCloses() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try send(channel, "CONNECT example.com:443 HTTP/1.1\r\n\r\n")
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(!text.contains("Content-Length"))
        #expect(responder.requests.isEmpty)
        #expect(!channel.isActive)
    }

    @Test func invalidRequestGets400AndCloses() throws {
        let responder = StubResponder()
        let channel = try connect(responder)
        try? send(channel, "GET / HTTP/1.1\r\nBad Header\r\n\r\n")
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(text.contains(#""error":"BadRequest""#))
        #expect(!channel.isActive)
    }

    @Test func sensitiveAnswerIsWipedOnceWritten() throws {
        let secret = #"{"Value":"s3cret"}"#
        let responder = StubResponder { _ in
            HTTPResponse(status: .ok, body: .sensitive(SecureBytes(copying: Array(secret.utf8))))
        }
        let channel = try connect(responder)
        try send(channel, "GET /a HTTP/1.1\r\n\r\n")
        // The buffer the channel holds shares its storage with the one the handler wiped.
        let buffer = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let text = String(buffer: buffer)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n"))
        #expect(!text.contains("s3cret"))
        #expect(buffer.readableBytesView.suffix(18).allSatisfy { $0 == 0 })
    }
}
