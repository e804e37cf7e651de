#if canImport(Glibc)
    import Glibc
#endif

/// The systemd notify protocol (`sd_notify`) without libsystemd: newline-separated assignments in
/// one datagram to the socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract
/// namespace). Without the variable every call does nothing, so the daemon behaves the same
/// outside systemd.
public struct SystemdNotifier: Sendable {
    private let path: String?

    /// - Parameter environment: the process environment; `NOTIFY_SOCKET` names the socket.
    public init(environment: [String: String]) {
        path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether a notify socket was given.
    public var isActive: Bool { path != nil }

    /// Sends one message, such as `READY=1\nSTATUS=serving`. Failures are ignored, as sd_notify's are.
    /// - Parameter state: the assignments.
    public func notify(_ state: String) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(path.utf8)
        if name.first == UInt8(ascii: "@") { name[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard name.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: name)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count + (name.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
    }
}

/// Listening sockets passed by systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`,
/// `LISTEN_FDNAMES`; the descriptors start at 3), read without libsystemd.
public struct ActivatedSockets: Sendable {
    /// One inherited listener.
    public struct Listener: Sendable {
        public var fd: Int32
        /// The name from `FileDescriptorName=`, or `unknown`.
        public var name: String
        /// A Unix socket (else TCP).
        public var isUnix: Bool
    }

    public var listeners: [Listener]

    /// Reads the passed sockets, if they are meant for this process, and unsets the variables so
    /// that no child inherits them.
    /// - Parameter environment: the process environment.
    public init(environment: [String: String]) {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pid = environment["LISTEN_PID"].flatMap({ Int32($0) }), pid == getpid(),
            let count = environment["LISTEN_FDS"].flatMap({ Int32($0) }), count > 0
        else {
            listeners = []
            return
        }
        let names =
            environment["LISTEN_FDNAMES"]?.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            ?? []
        listeners = (0..<count).map { index in
            let fd = 3 + index
            // The descriptor is ours now: children must not inherit it.
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let family =
                withUnsafeMutablePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                } == 0 ? Int32(address.ss_family) : -1
            return Listener(
                fd: fd, name: Int(index) < names.count ? names[Int(index)] : "unknown", isUnix: family == AF_UNIX)
        }
    }
}
