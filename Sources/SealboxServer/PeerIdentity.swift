import SealboxAWS
import SealboxCore
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Who is at the other end of a Unix socket connection, worked out once at accept: SO_PEERCRED,
/// the process start time (so a recycled pid is a stranger) and the names the policy knows the
/// process by (uid, user, gid and groups, supplementary groups included).
public struct PeerIdentity: Sendable {
    public let credentials: PeerCredentials
    /// Clock ticks since boot: field 22 of `/proc/<pid>/stat`.
    public let startTime: UInt64
    /// `uid:N`, `user:NAME`, `gid:N` and `group:NAME` for each group.
    public let policyNames: [String]

    /// Reads what `/proc` says of the peer; nil if the process is already gone.
    /// - Parameters:
    ///   - credentials: the peer's SO_PEERCRED.
    ///   - rotationHandlers: the running rotation handlers. A peer that is one of them (or a child of
    ///     one) goes by its `rotation:<function>` principal alone, whatever its uid may do.
    public init?(_ credentials: PeerCredentials, rotationHandlers: RotationHandlers? = nil) {
        guard let startTime = ProcFS.startTicks(of: credentials.pid) else { return nil }
        self.credentials = credentials
        self.startTime = startTime
        if let principal = rotationHandlers?.principal(of: credentials.pid) {
            policyNames = [principal]
            return
        }
        var gids = [credentials.gid]
        if let status = ProcFS.read("/proc/\(credentials.pid)/status") {
            for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("Groups:".utf8)) {
                gids += line.dropFirst(7).split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
                    .compactMap { UInt32(String(decoding: $0, as: UTF8.self)) }
            }
        }
        var names = ["uid:\(credentials.uid)"]
        if let user = Self.userName(credentials.uid) { names.append("user:\(user)") }
        for gid in Set(gids).sorted() {
            names.append("gid:\(gid)")
            if let group = Self.groupName(gid) { names.append("group:\(group)") }
        }
        policyNames = names
    }

    private static func userName(_ uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else {
            return nil
        }
        return String(cString: name)
    }

    private static func groupName(_ gid: UInt32) -> String? {
        var entry = group()
        var result: UnsafeMutablePointer<group>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name
        else {
            return nil
        }
        return String(cString: name)
    }
}
