#if canImport(Glibc)
    import Glibc
#endif

/// The system's group database.
enum SystemGroups {
    /// The id of the group `name`, or nil if there is none.
    /// - Parameter name: the group's name.
    static func id(of name: String) -> UInt32? {
        var entry = group()
        var result: UnsafeMutablePointer<group>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }
}
