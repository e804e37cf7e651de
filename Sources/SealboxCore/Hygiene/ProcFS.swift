#if canImport(Glibc)
    import Glibc
#endif

/// Reading `/proc`: whole files, and when a process started. Shared by the hygiene scan, peer
/// identification and the cold-start metrics.
package enum ProcFS {
    /// A whole /proc file. These report a size of 0 and may be read in pieces, so Foundation's
    /// one-shot readers stop at the first page; this reads to the end.
    /// - Parameter path: the file.
    package static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            bytes += chunk[0..<got]
        }
        return bytes
    }

    /// When process `pid` started, in clock ticks since boot (field 22 of `/proc/<pid>/stat`); nil if
    /// it is gone.
    /// - Parameter pid: the process.
    package static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }

    /// The boot time, in seconds since the epoch (`btime` in `/proc/stat`, whole seconds).
    package static let bootTime: Double? = read("/proc/stat").flatMap { bytes in
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.dropFirst(6)) }
    }

    /// A start tick as seconds since the epoch, to the tick: the wall clock less the time since boot
    /// (`btime` alone is whole seconds, so a file written a second before a process started could
    /// count as written after).
    /// - Parameter ticks: clock ticks since boot.
    package static func epoch(ofTicks ticks: UInt64) -> Double? {
        let sinceBoot = Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
        var real = timespec()
        var boot = timespec()
        guard clock_gettime(CLOCK_REALTIME, &real) == 0, clock_gettime(CLOCK_BOOTTIME, &boot) == 0 else {
            return bootTime.map { $0 + sinceBoot }
        }
        let booted = Double(real.tv_sec) - Double(boot.tv_sec) + Double(real.tv_nsec - boot.tv_nsec) / 1e9
        return booted + sinceBoot
    }
}
