import Foundation

/// Isolation a service manager may put around the daemon that hides who its callers are.
///
/// Callers are told apart by the uid `SO_PEERCRED` reports and by their `/proc/<pid>` entry. In a
/// user namespace that maps only some uids (systemd's `PrivateUsers=yes`), every caller of an unmapped
/// uid reads as the overflow uid 65534, so per-uid policy and quotas lump them together. With `/proc`
/// mounted `hidepid` (`ProtectProc=invisible` or `noaccess`), other users' processes cannot be read,
/// so their leases cannot be bound to the process that made them.
package enum HostIsolation {
    /// What is wrong with the daemon's surroundings, one sentence each; empty when nothing is.
    /// - Parameters:
    ///   - uidMap: `/proc/self/uid_map`, or nil when unreadable.
    ///   - mountInfo: `/proc/self/mountinfo`, or nil when unreadable.
    package static func warnings(uidMap: String?, mountInfo: String?) -> [String] {
        var warnings: [String] = []
        if let uidMap, !mapsEveryUID(uidMap) {
            warnings.append(
                "sealboxd runs in a user namespace that maps only some uids (PrivateUsers=yes?): callers of other uids all appear as uid 65534, so per-uid policy cannot tell them apart"
            )
        }
        if let mountInfo, let option = hiddenPIDs(mountInfo) {
            warnings.append(
                "/proc is mounted with \(option) (ProtectProc=invisible or noaccess?): other users' processes cannot be read, so their leases cannot be bound to them"
            )
        }
        return warnings
    }

    /// ``warnings(uidMap:mountInfo:)`` for this process.
    package static func warnings() -> [String] {
        warnings(
            uidMap: try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8),
            mountInfo: try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8))
    }

    /// Whether the map is the initial namespace's identity map of all 2^32 - 1 uids.
    static func mapsEveryUID(_ uidMap: String) -> Bool {
        let fields = uidMap.split(whereSeparator: \.isWhitespace)
        return fields == ["0", "0", "4294967295"]
    }

    /// The `hidepid=` option of the `/proc` mount, unless it hides nothing.
    static func hiddenPIDs(_ mountInfo: String) -> String? {
        for line in mountInfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4] == "/proc", let dash = fields.firstIndex(of: "-"),
                fields.index(after: dash) < fields.endIndex, fields[fields.index(after: dash)] == "proc"
            else { continue }
            let options = fields[(dash + 1)...].flatMap { $0.split(separator: ",") }
            if let hidepid = options.first(where: { $0.hasPrefix("hidepid=") }),
                !["hidepid=0", "hidepid=off"].contains(String(hidepid))
            {
                return String(hidepid)
            }
        }
        return nil
    }
}
