import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The benchmark baseline: a bare SwiftNIO HTTP/1.1 server on the same stack and pipeline as
/// sealboxd, answering every request with a fixed body. `make bench` measures sealboxd against it.
@main
struct SealboxBaseline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealbox-baseline",
        abstract: "A bare NIO HTTP/1.1 server with a fixed answer, the baseline for sealbox-bench.",
        discussion: "Example: sealbox-baseline --socket /tmp/base.sock --listen 127.0.0.1:0 --body-size 120"
    )

    @Option(help: "A Unix socket to listen on.")
    var socket: String?

    @Option(help: "A TCP host:port to listen on (port 0 picks one).")
    var listen: String?

    @Option(help: "The size of the fixed answer body.")
    var bodySize = 64

    @Option(
        help: ArgumentHelp(
            "A file whose bytes are the answer body instead, so that a client that parses its answers gets a real one.",
            discussion: "The boto3 peer benchmark serves a captured Decrypt answer this way: the rate boto3 reaches "
                + "against a server that does no work is the most any server can show through it."))
    var bodyFile: String?

    @Option(help: "The answer's Content-Type.")
    var contentType = "application/json"

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        var body = ByteBufferAllocator().buffer(capacity: bodySize)
        if let bodyFile {
            guard let bytes = FileManager.default.contents(atPath: bodyFile) else {
                throw ValidationError("cannot read \(bodyFile)")
            }
            body.writeBytes(bytes)
        } else {
            body.writeRepeatingByte(UInt8(ascii: "x"), count: bodySize)
        }
        let fixed = body
        let contentType = self.contentType
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        FixedResponder(body: fixed, contentType: contentType))
                }
            }
        var ready: [String] = []
        if let socket {
            unlink(socket)
            _ = try bootstrap.bind(unixDomainSocketPath: socket).wait()
            ready.append("\"socket\":\"\(socket)\"")
        }
        if let listen, let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) {
            let channel = try bootstrap.bind(host: String(listen[..<colon]), port: port).wait()
            ready.append("\"tcp\":\"\(listen[..<colon]):\(channel.localAddress?.port ?? port)\"")
        }
        print("{\"event\":\"ready\",\(ready.joined(separator: ","))}")
        fflush(nil)
        while true { sleep(3600) }
    }
}

final class FixedResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let body: ByteBuffer
    private let head: HTTPResponseHead

    init(body: ByteBuffer, contentType: String) {
        self.body = body
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        head = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
