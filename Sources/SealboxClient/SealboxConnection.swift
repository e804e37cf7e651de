import NIOCore
import NIOHTTP1
import NIOPosix

/// Where a Sealbox daemon listens.
public enum SealboxEndpoint: Sendable, Hashable {
    /// The Unix socket; the daemon identifies the caller by its process credentials.
    case unixSocket(path: String)
    /// Loopback TCP.
    case tcp(host: String, port: Int)

    /// The `Host` header requests carry: the TCP address (the daemon answers on TCP only for a
    /// loopback name), or `localhost` on the socket.
    public var hostHeader: String {
        switch self {
        case .unixSocket: "localhost"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}

/// An HTTP response from the daemon.
public struct SealboxResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The headers, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]

    /// The first header with this name, ignoring case.
    /// - Parameter name: the header name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A failure to reach the daemon.
public struct SealboxConnectionError: Error, CustomStringConvertible {
    public let description: String
}

/// One keep-alive HTTP/1.1 connection to the daemon; requests are sent one at a time, in order.
public final class SealboxConnection: Sendable {
    private let channel: any Channel
    /// The `Host` header of its requests (``SealboxEndpoint/hostHeader``), which a signature covers.
    public let host: String

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    /// Connects to the daemon. On a Unix socket it first checks who listens there, and refuses
    /// (``SealboxUntrustedDaemonError``) a process that runs as neither the caller's user, root, nor
    /// the owner of the socket's directory.
    /// - Parameters:
    ///   - endpoint: the socket path or TCP address.
    ///   - group: the event loop group to use.
    public static func connect(
        to endpoint: SealboxEndpoint,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SealboxConnection {
        let bootstrap = ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
        do {
            let channel: any Channel
            switch endpoint {
            case .unixSocket(let path): channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .tcp(let host, let port): channel = try await bootstrap.connect(host: host, port: port).get()
            }
            if case .unixSocket(let path) = endpoint {
                do {
                    try await TrustedDaemon.check(channel, socketPath: path)
                } catch {
                    try? await channel.close()
                    throw error
                }
            }
            return SealboxConnection(channel: channel, host: endpoint.hostHeader)
        } catch let error as SealboxUntrustedDaemonError {
            throw error
        } catch {
            throw SealboxConnectionError(description: "cannot connect to sealboxd at \(endpoint): \(error)")
        }
    }

    /// Sends a request and waits for its response.
    /// - Parameters:
    ///   - method: the HTTP method.
    ///   - path: the path and query, such as one of `SealboxAPI.NativePath`.
    ///   - headers: extra headers.
    ///   - body: the body.
    public func request(
        _ method: SealboxMethod,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8] = []
    ) async throws -> SealboxResponse {
        let promise = channel.eventLoop.makePromise(of: SealboxResponse.self)
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method.name), uri: path)
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "Content-Length", value: String(body.count))
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let requestHead = head
        let channel = self.channel
        channel.eventLoop.execute {
            guard let collector = try? channel.pipeline.syncOperations.handler(type: ResponseCollector.self) else {
                promise.fail(SealboxConnectionError(description: "connection closed"))
                return
            }
            collector.expect(promise)
            channel.write(HTTPClientRequestPart.head(requestHead), promise: nil)
            channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return try await promise.futureResult.get()
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}

/// Matches responses to waiting requests, in order.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var waiting: [EventLoopPromise<SealboxResponse>] = []
    private var current: SealboxResponse?

    func expect(_ promise: EventLoopPromise<SealboxResponse>) {
        waiting.append(promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            current = SealboxResponse(
                status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: [])
        case .body(let buffer):
            current?.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            if let response = current, !waiting.isEmpty {
                waiting.removeFirst().succeed(response)
            }
            current = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = SealboxConnectionError(description: "sealboxd closed the connection")
        for promise in waiting { promise.fail(error) }
        waiting.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        for promise in waiting { promise.fail(error) }
        waiting.removeAll()
        context.close(promise: nil)
    }
}
