import NIOCore
import SealboxCrypto
import Synchronization

/// Knows every open connection, its listener and whether it is mid-request, so each listener's
/// connections are counted against its own cap, and shutdown can close idle connections at once and
/// let busy ones finish their response.
///
/// Requests never take the tracker's lock: each connection flips its own ``Connection/busy`` flag
/// and reads ``isDraining`` atomically. Only opening, closing and shutdown lock.
final class ConnectionTracker: Sendable {
    /// The listener a connection came through; each has its own count.
    enum Listener: Int, Sendable {
        case unix = 0
        case tcp = 1
    }

    /// One open connection, as its handler sees it.
    final class Connection: Sendable {
        let channel: any Channel
        let listener: Listener
        private let flag = Atomic<Bool>(false)

        init(_ channel: any Channel, listener: Listener) {
            self.channel = channel
            self.listener = listener
        }

        /// Whether a request is being answered.
        var busy: Bool {
            get { flag.load(ordering: .relaxed) }
            set { flag.store(newValue, ordering: .relaxed) }
        }
    }

    private struct Open {
        var connections: [ObjectIdentifier: Connection] = [:]
        /// Open connections per listener, by ``Listener/rawValue``.
        var counts = (0, 0)

        mutating func add(_ delta: Int, on listener: Listener) -> Int {
            switch listener {
            case .unix:
                counts.0 += delta
                return counts.0
            case .tcp:
                counts.1 += delta
                return counts.1
            }
        }
    }

    private let open = Locked(Open())
    private let draining = Atomic<Bool>(false)

    var isDraining: Bool { draining.load(ordering: .relaxed) }

    var busyCount: Int { open.withLock { $0.connections.values.filter(\.busy).count } }

    /// Registers a connection.
    /// - Parameters:
    ///   - channel: the connection's channel.
    ///   - listener: the listener it came through.
    /// - Returns: the connection, and how many are open on its listener, this one included.
    func opened(_ channel: any Channel, on listener: Listener) -> (connection: Connection, count: Int) {
        let connection = Connection(channel, listener: listener)
        let count = open.withLock { open in
            open.connections[ObjectIdentifier(channel)] = connection
            return open.add(1, on: listener)
        }
        return (connection, count)
    }

    func closed(_ channel: any Channel) {
        open.withLock { open in
            guard let connection = open.connections.removeValue(forKey: ObjectIdentifier(channel)) else { return }
            _ = open.add(-1, on: connection.listener)
        }
    }

    /// Stops keep-alive and closes every idle connection.
    func startDraining() {
        draining.store(true, ordering: .relaxed)
        let idle = open.withLock { $0.connections.values.filter { !$0.busy }.map(\.channel) }
        for channel in idle { channel.close(promise: nil) }
    }

    /// Closes whatever is still open.
    func closeAll() {
        let all = open.withLock { $0.connections.values.map(\.channel) }
        for channel in all { channel.close(promise: nil) }
    }
}
