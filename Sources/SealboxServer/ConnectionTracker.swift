import NIOCore
import SealboxCrypto
import Synchronization

/// Knows every open connection and whether it is mid-request, so shutdown can close idle
/// connections at once and let busy ones finish their response.
///
/// Requests never take the tracker's lock: each connection flips its own ``Connection/busy`` flag
/// and reads ``isDraining`` atomically. Only opening, closing and shutdown lock.
final class ConnectionTracker: Sendable {
    /// One open connection, as its handler sees it.
    final class Connection: Sendable {
        let channel: any Channel
        private let flag = Atomic<Bool>(false)

        init(_ channel: any Channel) { self.channel = channel }

        /// Whether a request is being answered.
        var busy: Bool {
            get { flag.load(ordering: .relaxed) }
            set { flag.store(newValue, ordering: .relaxed) }
        }
    }

    private let connections = Locked<[ObjectIdentifier: Connection]>([:])
    private let draining = Atomic<Bool>(false)

    var isDraining: Bool { draining.load(ordering: .relaxed) }

    var busyCount: Int { connections.withLock { $0.values.filter(\.busy).count } }

    /// Registers a connection.
    /// - Returns: the connection, and how many are open, this one included.
    func opened(_ channel: any Channel) -> (connection: Connection, count: Int) {
        let connection = Connection(channel)
        let count = connections.withLock { connections in
            connections[ObjectIdentifier(channel)] = connection
            return connections.count
        }
        return (connection, count)
    }

    func closed(_ channel: any Channel) {
        _ = connections.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Stops keep-alive and closes every idle connection.
    func startDraining() {
        draining.store(true, ordering: .relaxed)
        let idle = connections.withLock { $0.values.filter { !$0.busy }.map(\.channel) }
        for channel in idle { channel.close(promise: nil) }
    }

    /// Closes whatever is still open.
    func closeAll() {
        let all = connections.withLock { $0.values.map(\.channel) }
        for channel in all { channel.close(promise: nil) }
    }
}
