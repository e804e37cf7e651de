import NIOCore
import NIOEmbedded
import SealboxAWS
import SealboxCore
import SealboxServer

/// Raw bytes on a connection, through the daemon's real pipeline (NIO's HTTP/1.1 request decoder, the
/// request handler with its limits, the router and every endpoint), on an `EmbeddedChannel`.
enum HTTPTarget {
    private static let limits: ServerLimits = {
        var limits = ServerLimits()
        limits.maxBodyBytes = 4096
        limits.maxConnections = 64
        return limits
    }()

    static func run(_ bytes: [UInt8]) {
        let channel = EmbeddedChannel()
        do {
            try HTTPServer.configure(channel, responder: FuzzStack.shared().router, limits: limits)
        } catch {
            fatalError("the pipeline could not be set up: \(error)")
        }
        // The first byte splits the rest in two writes, so requests also arrive torn.
        let rest = bytes.dropFirst()
        let split = rest.startIndex + min(Int(bytes.first ?? 0) * 4, rest.count)
        for part in [rest[..<split], rest[split...]] where !part.isEmpty {
            _ = try? channel.writeInbound(ByteBuffer(bytes: part))
            channel.embeddedEventLoop.run()
        }
        // Past the request and idle timeouts, so their paths run too.
        channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        while (try? channel.readOutbound(as: ByteBuffer.self)) ?? nil != nil {}
        _ = try? channel.finish()
    }
}
