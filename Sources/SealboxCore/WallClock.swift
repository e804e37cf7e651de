import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The time source for everything time-dependent, so tests can move time by hand.
public protocol WallClock: Sendable {
    /// Seconds since the Unix epoch.
    func now() -> Double
}

/// The real time.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// A clock that moves only when told to; for tests.
public final class ManualClock: WallClock {
    private let current: Locked<Double>

    /// - Parameter start: the initial time in seconds since the epoch.
    public init(_ start: Double = 1_800_000_000) {
        current = Locked(start)
    }

    public func now() -> Double { current.withLock { $0 } }

    /// Moves the clock forward.
    /// - Parameter seconds: how far.
    public func advance(by seconds: Double) {
        current.withLock { $0 += seconds }
    }
}
