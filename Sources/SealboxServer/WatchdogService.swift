import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Pings systemd's watchdog (`WATCHDOG=1`) at half the `WATCHDOG_USEC` interval, but only after an
/// event loop has run a task: a daemon whose loops are stuck stops pinging and gets restarted.
public struct WatchdogService: Service {
    private let interval: Duration
    private let notifier: SystemdNotifier
    private let group: any EventLoopGroup

    /// - Parameters:
    ///   - environment: the process environment (`WATCHDOG_USEC`, `WATCHDOG_PID`).
    ///   - notifier: where pings go.
    ///   - group: the event loops that must be alive.
    /// - Returns: nil when systemd asked for no watchdog.
    public init?(environment: [String: String], notifier: SystemdNotifier, group: any EventLoopGroup) {
        guard notifier.isActive, let usec = environment["WATCHDOG_USEC"].flatMap({ Int64($0) }), usec > 0 else {
            return nil
        }
        if let pid = environment["WATCHDOG_PID"].flatMap({ Int32($0) }), pid != getpid() { return nil }
        interval = .microseconds(usec / 2)
        self.notifier = notifier
        self.group = group
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for loop in group.makeIterator() {
                try await loop.submit {}.get()
            }
            notifier.notify("WATCHDOG=1")
            try? await Task.sleep(for: interval)
        }
    }
}
