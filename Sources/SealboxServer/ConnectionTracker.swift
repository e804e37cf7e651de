import NIOCore
import SealboxCrypto

/// Knows every open connection and whether it is mid-request, so shutdown can close idle
/// connections at once and let busy ones finish their response.
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: (channel: any Channel, busy: Bool)] = [:]
        var draining = false
    }

    private let state = Locked(State())

    var isDraining: Bool { state.withLock { $0.draining } }

    var busyCount: Int { state.withLock { $0.channels.values.filter(\.busy).count } }

    /// Registers a connection.
    /// - Returns: how many are open, this one included.
    func opened(_ channel: any Channel) -> Int {
        state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = (channel, false)
            return state.channels.count
        }
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func busy(_ channel: any Channel, _ busy: Bool) {
        state.withLock { $0.channels[ObjectIdentifier(channel)]?.busy = busy }
    }

    /// Stops keep-alive and closes every idle connection.
    func startDraining() {
        let idle = state.withLock { state in
            state.draining = true
            return state.channels.values.filter { !$0.busy }.map(\.channel)
        }
        for channel in idle { channel.close(promise: nil) }
    }

    /// Closes whatever is still open.
    func closeAll() {
        let all = state.withLock { $0.channels.values.map(\.channel) }
        for channel in all { channel.close(promise: nil) }
    }
}
