import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAWS
import SealboxCore
import SealboxCrypto
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP/1.1 listeners (Unix socket and loopback TCP) as one lifecycle service. On graceful
/// shutdown it stops accepting, lets in-flight requests finish, and closes idle keep-alive connections.
public final class HTTPServer: Service, Sendable {
    /// Where the server listens and what each connection may do.
    public struct Configuration: Sendable {
        /// The Unix socket to create (a stale file is replaced), or nil.
        public var socketPath: String?
        /// The socket's mode; 0660 by default.
        public var socketMode: UInt16 = 0o660
        /// The group that owns the socket; nil keeps the daemon's.
        public var socketGroup: UInt32? = nil
        /// The TCP address, or nil.
        public var tcp: ListenAddress?
        /// Listeners passed by systemd socket activation; they replace binding `socketPath` (for a
        /// Unix one) and `tcp` (for a TCP one).
        public var activated: [ActivatedSockets.Listener]
        /// The connection cap, and header, body and time limits per connection.
        public var limits: ServerLimits

        /// - Parameters:
        ///   - socketPath: the Unix socket to create, or nil.
        ///   - tcp: the TCP address, or nil.
        ///   - activated: listeners passed by systemd socket activation.
        ///   - limits: the connection cap and the per-connection limits.
        public init(
            socketPath: String?,
            tcp: ListenAddress?,
            activated: [ActivatedSockets.Listener] = [],
            limits: ServerLimits = ServerLimits()
        ) {
            self.socketPath = socketPath
            self.tcp = tcp
            self.activated = activated
            self.limits = limits
        }
    }

    private let responder: any HTTPResponder
    private let socketPath: String?
    private let socketMode: UInt16
    private let socketGroup: UInt32?
    private let tcp: ListenAddress?
    private let group: MultiThreadedEventLoopGroup
    private let limits: ServerLimits
    private let logger: Logger
    private let tracker = ConnectionTracker()
    private let onReady: @Sendable (_ tcpPort: Int?) -> Void
    /// One audit writer per event loop, so requests on different loops never share a lock.
    private let auditBatchers: [ObjectIdentifier: AuditBatcher]
    private let recorder: CallRecorder?
    private let served: ServedRecord?
    private let activated: [ActivatedSockets.Listener]
    private let loopMetrics: [ObjectIdentifier: LoopMetrics]
    private let notifier: SystemdNotifier
    private let rotationHandlers: RotationHandlers?
    /// How long shutdown waits for in-flight requests.
    public static let drainTimeout: TimeAmount = .seconds(10)

    /// - Parameters:
    ///   - responder: answers requests.
    ///   - configuration: the listeners and the limits.
    ///   - group: the event loops.
    ///   - audit: the audit log that responses carrying a record wait for, if any.
    ///   - recorder: where every call is recorded (ephemeral daemons), if anywhere.
    ///   - served: where what each process was served is recorded, for `sealbox inspect`.
    ///   - notifier: told `STOPPING=1` when shutdown begins.
    ///   - metrics: request counts, latencies and callers' first contacts, if kept.
    ///   - rotationHandlers: names socket peers that are a running rotation handler, if rotations run.
    ///   - logger: for lifecycle messages.
    ///   - onReady: called once every listener is bound, with the bound TCP port.
    public init(
        responder: any HTTPResponder,
        configuration: Configuration,
        group: MultiThreadedEventLoopGroup,
        audit: AuditLog?,
        recorder: CallRecorder? = nil,
        served: ServedRecord? = nil,
        notifier: SystemdNotifier = SystemdNotifier(environment: [:]),
        metrics: ServerMetrics? = nil,
        rotationHandlers: RotationHandlers? = nil,
        logger: Logger,
        onReady: @escaping @Sendable (_ tcpPort: Int?) -> Void
    ) {
        self.rotationHandlers = rotationHandlers
        self.responder = responder
        socketPath = configuration.socketPath
        socketMode = configuration.socketMode
        socketGroup = configuration.socketGroup
        tcp = configuration.tcp
        self.group = group
        limits = configuration.limits
        self.logger = logger
        self.onReady = onReady
        self.recorder = recorder
        self.served = served
        activated = configuration.activated
        self.notifier = notifier
        var batchers: [ObjectIdentifier: AuditBatcher] = [:]
        if let audit {
            for loop in group.makeIterator() {
                batchers[ObjectIdentifier(loop)] = AuditBatcher(
                    chain: audit.makeChain(), eventLoop: loop, failures: metrics?.auditWriteFailures, logger: logger)
            }
        }
        auditBatchers = batchers
        var perLoop: [ObjectIdentifier: LoopMetrics] = [:]
        if let metrics {
            for loop in group.makeIterator() { perLoop[ObjectIdentifier(loop)] = metrics.forLoop() }
        }
        loopMetrics = perLoop
    }

    public func run() async throws {
        var channels: [any Channel] = []
        for listener in activated {
            channels.append(try await bootstrap(unix: listener.isUnix).withBoundSocket(listener.fd).get())
        }
        let unixActivated = activated.contains { $0.isUnix }
        let tcpActivated = activated.contains { !$0.isUnix }
        if let socketPath, !unixActivated {
            try removeStaleSocket(socketPath)
            let channel: any Channel
            do {
                channel = try await bootstrap(unix: true).bind(unixDomainSocketPath: socketPath).get()
            } catch {
                throw SocketSetupError(
                    message: "cannot create the Unix socket \(socketPath): \(error) (does its directory exist?)")
            }
            if let group = socketGroup, chown(socketPath, uid_t.max, group) != 0 {
                throw SocketSetupError(
                    message:
                        "cannot give \(socketPath) to group \(group): \(String(cString: strerror(errno))) (the daemon must be root or in the group)"
                )
            }
            guard chmod(socketPath, mode_t(socketMode)) == 0 else {
                throw SocketSetupError(message: "cannot set mode \(String(socketMode, radix: 8)) on \(socketPath)")
            }
            channels.append(channel)
        }
        var port: Int? = channels.first { $0.localAddress?.port != nil }?.localAddress?.port
        if let tcp, !tcpActivated {
            let channel = try await bootstrap(unix: false).bind(host: tcp.host, port: tcp.port).get()
            port = channel.localAddress?.port
            channels.append(channel)
        }
        onReady(port)
        let listeners = channels
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for channel in listeners {
                    group.addTask { try? await channel.closeFuture.get() }
                }
            }
        } onGracefulShutdown: {
            self.notifier.notify("STOPPING=1\nSTATUS=draining in-flight requests")
            for channel in listeners { channel.close(promise: nil) }
        }
        await drain()
        // An activated socket belongs to systemd, which keeps it for the next start.
        if let socketPath, !unixActivated { unlink(socketPath) }
    }

    private func drain() async {
        tracker.startDraining()
        let deadline = ContinuousClock.now + .seconds(10)
        while tracker.busyCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        tracker.closeAll()
    }

    private func bootstrap(unix: Bool) -> ServerBootstrap {
        let responder = self.responder
        let limits = self.limits
        let tracker = self.tracker
        let auditBatchers = self.auditBatchers
        let recorder = self.recorder
        let served = self.served
        let rotationHandlers = self.rotationHandlers
        let loopMetrics = self.loopMetrics
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Self.backlog)
            // A burst of connects (handlers starting together) is taken off the queue in few wake-ups.
            .serverChannelOption(.maxMessagesPerRead, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                let peer: EventLoopFuture<PeerCredentials?>
                if unix, let provider = channel as? any SocketOptionProvider {
                    let future: EventLoopFuture<PeerCredentialsBuffer> = provider.unsafeGetSocketOption(
                        level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                    peer = future.map { Optional($0.credentials) }.recover { _ in nil }
                } else {
                    peer = channel.eventLoop.makeSucceededFuture(nil)
                }
                return peer.flatMap { credentials in
                    channel.eventLoop.makeCompletedFuture {
                        let peer =
                            unix ? credentials.flatMap { PeerIdentity($0, rotationHandlers: rotationHandlers) } : nil
                        let metrics = loopMetrics[ObjectIdentifier(channel.eventLoop)]
                        if let peer { metrics?.contact(peer) }
                        try Self.configure(
                            channel.pipeline.syncOperations,
                            RequestHandler(
                                responder: responder,
                                connection: ConnectionInfo(
                                    transport: unix ? .unix(peer) : .tcp,
                                    localPort: unix ? 0 : (channel.parent ?? channel).localAddress?.port ?? 0),
                                limits: limits, tracker: tracker,
                                audit: auditBatchers[ObjectIdentifier(channel.eventLoop)], recorder: recorder,
                                served: served,
                                metrics: metrics),
                            limits: limits)
                    }
                }
            }
    }

    /// The listen backlog: the most the kernel takes (`net.core.somaxconn`, which caps any larger
    /// value; 4096 since Linux 5.4), so that a cold-start storm of clients that connect at once is
    /// queued rather than refused (EAGAIN on the socket, dropped SYNs on TCP).
    static let backlog: Int32 = {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/core/somaxconn", encoding: .utf8),
            let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0
        else { return 4096 }
        return max(value, 256)
    }()

    /// One connection's pipeline: NIO's HTTP/1.1 request decoder under `limits`, then `handler`, which
    /// writes its answers as bytes (``ResponseEncoder``).
    static func configure(
        _ pipeline: ChannelPipeline.SynchronousOperations, _ handler: RequestHandler, limits: ServerLimits
    ) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderFieldCount = limits.maxHeaderCount
        let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)
        try pipeline.addHandler(ByteToMessageHandler(decoder))
        try pipeline.addHandler(handler)
    }

    /// Sets up `channel` as the server sets up each TCP connection it accepts, for harnesses that
    /// drive the real pipeline without a socket (the HTTP fuzz target).
    /// - Parameters:
    ///   - channel: a channel on its own event loop, usually an `EmbeddedChannel`.
    ///   - responder: answers requests.
    ///   - limits: the connection cap, and header, body and time limits.
    package static func configure(_ channel: any Channel, responder: any HTTPResponder, limits: ServerLimits) throws {
        try configure(
            channel.pipeline.syncOperations,
            RequestHandler(
                responder: responder, connection: ConnectionInfo(transport: .tcp), limits: limits,
                tracker: ConnectionTracker(), audit: nil, recorder: nil, metrics: nil),
            limits: limits)
    }

    private func removeStaleSocket(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SocketSetupError(message: "\(path) exists and is not a socket; refusing to replace it")
        }
        unlink(path)
    }
}

/// The socket could not be set up.
public struct SocketSetupError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
