import NIOCore
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The process listening on a Unix socket runs as a user the client does not trust: another user
/// may have replaced the socket to capture what is sent to it. Nothing was sent.
public struct SealboxUntrustedDaemonError: Error, CustomStringConvertible {
    /// The uid the listening process runs as.
    public let peerUID: UInt32
    public let description: String
}

/// Checks, before anything is sent, who listens on a Unix socket (`SO_PEERCRED`): the caller's own
/// user, root, or the user that owns the directory holding the socket (the daemon's, as with
/// `/run/sealbox` owned by `sealbox`). A process of another user that bound a socket in a directory
/// open to it is none of these.
enum TrustedDaemon {
    /// - Parameters:
    ///   - channel: the connected channel.
    ///   - socketPath: the path it connected to.
    static func check(_ channel: any Channel, socketPath: String) async throws {
        guard let provider = channel as? any SocketOptionProvider else {
            throw SealboxConnectionError(description: "cannot read the credentials of sealboxd at \(socketPath)")
        }
        let buffer: PeerCredentialsBuffer = try await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).get()
        let peer = buffer.credentials.uid
        let own = geteuid()
        let directory = Self.directory(of: socketPath)
        let owner = Self.owner(of: directory)
        guard peer == own || peer == 0 || peer == owner else {
            throw SealboxUntrustedDaemonError(
                peerUID: peer,
                description:
                    "refusing to talk to \(socketPath): the process listening there runs as uid \(peer), which is not you (uid \(own)), root, or the owner of \(directory)\(owner.map { " (uid \($0))" } ?? ""); another user may have replaced the socket. Nothing was sent."
            )
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func owner(of directory: String) -> UInt32? {
        var info = stat()
        return stat(directory, &info) == 0 ? info.st_uid : nil
    }
}
