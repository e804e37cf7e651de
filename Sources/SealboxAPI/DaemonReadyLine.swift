/// The one JSON line `sealboxd` writes to stdout once every listener is bound:
/// `{"event":"ready","pid":4242,"tcp":"127.0.0.1:2773","socket":"./.sealbox/sealbox.sock"}`.
/// `tcp` and `socket` are absent when there is no such listener.
package struct DaemonReadyLine: Codable, Sendable, Equatable {
    /// Always `ready`.
    package var event: String
    /// The daemon's process id; `sealboxd` always writes it, the benchmark's bare NIO baseline does not.
    package var pid: Int32?
    /// The bound TCP address, `host:port` (`[v6]:port` for IPv6).
    package var tcp: String?
    /// The Unix socket's path.
    package var socket: String?

    /// - Parameters:
    ///   - event: `ready`.
    ///   - pid: the process id, nil for the baseline.
    ///   - tcp: the TCP address, nil without a TCP listener.
    ///   - socket: the socket path, nil without a socket.
    package init(event: String, pid: Int32?, tcp: String?, socket: String?) {
        self.event = event
        self.pid = pid
        self.tcp = tcp
        self.socket = socket
    }

    /// The TCP port, from `tcp`.
    package var tcpPort: Int? {
        tcp.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
    }
}
