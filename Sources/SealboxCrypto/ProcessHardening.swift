import CSealboxSys

#if canImport(Glibc)
    import Glibc
#endif

/// Process-level protections a secrets daemon applies at start.
public enum ProcessHardening {
    /// Sets `RLIMIT_CORE` to 0 and `PR_SET_DUMPABLE` to 0, so no core dump or same-uid ptrace can read
    /// the daemon's memory.
    /// - Returns: nil on success, else the `errno` text.
    @discardableResult
    public static func disableCoreDumps() -> String? {
        csealbox_disable_core_dumps() == 0 ? nil : String(cString: strerror(errno))
    }

    /// Hands free heap pages back to the kernel, after a phase (such as loading the store) that built
    /// and dropped large temporaries.
    public static func releaseFreeMemory() {
        csealbox_release_free_memory()
    }
}

/// The credentials of the process at the other end of a Unix socket, from `SO_PEERCRED`.
public struct PeerCredentials: Hashable, Sendable {
    /// The peer's process id at connect time.
    public var pid: Int32
    /// The peer's user id.
    public var uid: UInt32
    /// The peer's group id.
    public var gid: UInt32

    /// - Parameters:
    ///   - pid: process id.
    ///   - uid: user id.
    ///   - gid: group id.
    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

}

/// Memory laid out as `struct ucred`, for `getsockopt(SOL_SOCKET, SO_PEERCRED)` to fill (for example
/// through NIO's `unsafeGetSocketOption`).
public struct PeerCredentialsBuffer: Sendable {
    private var raw = csealbox_peercred()

    public init() {}

    /// The credentials the kernel wrote.
    public var credentials: PeerCredentials {
        PeerCredentials(pid: raw.pid, uid: raw.uid, gid: raw.gid)
    }
}
