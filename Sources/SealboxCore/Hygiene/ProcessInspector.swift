import Foundation
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Looks for the plaintext of given secrets in another process: its readable memory, its
/// environment, the files it holds open, and temp files its user wrote since it started. Every byte
/// read from the target passes through guarded memory, and a finding names the secret and where it
/// was, never the value. Reading another process's memory needs root or the same uid (and ptrace
/// permission).
public enum ProcessInspector {
    /// One secret to look for.
    public struct Secret: Sendable {
        /// How findings name it (a parameter name, an env variable, a ciphertext number).
        public var label: String
        public var value: SecureBytes

        /// - Parameters:
        ///   - label: the name findings use.
        ///   - value: the plaintext.
        public init(label: String, value: SecureBytes) {
            self.label = label
            self.value = value
        }
    }

    /// Where a secret was found.
    public struct Finding: Sendable, Equatable {
        public var secret: String
        /// `memory <start>-<end> <mapping>`, `environment`, `fd <n> <path>` or `temp file <path>`.
        public var location: String
        /// How it was stored there: `plaintext` or `base64`.
        public var form: String
    }

    /// The result of a scan.
    public struct Report: Sendable {
        public var pid: Int32
        public var findings: [Finding]
        /// Secrets too short (under 4 bytes) to search for without false alarms.
        public var skipped: [String]
        /// Secrets looked for.
        public var secretsChecked: Int
        public var bytesScanned: Int
    }

    static let minimumLength = 4
    static let maxFileBytes = 16 << 20
    static let chunk = 1 << 20

    /// Scans process `pid` for every secret.
    /// - Parameters:
    ///   - pid: the process.
    ///   - secrets: what to look for.
    ///   - tempDirectories: where temp files are looked for (besides the target's `$TMPDIR`).
    /// - Throws: if the process does not exist or its memory cannot be read.
    public static func scan(
        pid: Int32,
        secrets: [Secret],
        tempDirectories: [String] = ["/tmp", "/var/tmp", "/dev/shm"]
    ) throws -> Report {
        var patterns: [(label: String, form: String, bytes: SecureBytes)] = []
        var skipped: [String] = []
        for secret in secrets {
            guard secret.value.count >= minimumLength else {
                skipped.append(secret.label)
                continue
            }
            patterns.append((secret.label, "plaintext", secret.value))
            let encoded = try SecureBytes(count: Base64.encodedLength(secret.value.count)) { out in
                secret.value.withUnsafeBytes { Base64.encode($0, into: out) }
            }
            patterns.append((secret.label, "base64", encoded))
        }
        var report = Report(
            pid: pid, findings: [], skipped: skipped, secretsChecked: secrets.count - skipped.count, bytesScanned: 0)
        guard !patterns.isEmpty else { return report }
        let longest = patterns.map(\.bytes.count).max()!
        let buffer = try SecureBytes(count: chunk + longest) { _ in }

        func search(_ count: Int, _ location: String) {
            buffer.withUnsafeBytes { raw in
                let haystack = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                for pattern in patterns
                where !report.findings.contains(where: {
                    $0.secret == pattern.label && $0.location == location && $0.form == pattern.form
                }) {
                    if pattern.bytes.withUnsafeBytes({ contains(haystack, $0) }) {
                        report.findings.append(Finding(secret: pattern.label, location: location, form: pattern.form))
                    }
                }
            }
            report.bytesScanned += count
        }

        /// Reads `fd` from `offset` to `end` (or EOF) in overlapping chunks, searching each.
        func scanFile(_ fd: Int32, from start: Int, to end: Int?, _ location: String) {
            var offset = start
            var carried = 0
            while end.map({ offset < $0 }) ?? true {
                let wanted = min(chunk, (end ?? Int.max) - offset)
                let got = buffer.withUnsafeBytes { raw in
                    pread(fd, UnsafeMutableRawPointer(mutating: raw.baseAddress! + carried), wanted, off_t(offset))
                }
                guard got > 0 else { break }
                search(carried + got, location)
                // Keep the tail, so a secret split across two chunks is still found.
                let keep = min(longest - 1, carried + got)
                buffer.withUnsafeBytes { raw in
                    let base = UnsafeMutableRawPointer(mutating: raw.baseAddress!)
                    memmove(base, base + carried + got - keep, keep)
                }
                carried = keep
                offset += got
            }
        }

        guard kill(pid, 0) == 0 || errno == EPERM else { throw SetupError(description: "no process \(pid)") }
        let memory = open("/proc/\(pid)/mem", O_RDONLY | O_CLOEXEC)
        guard memory >= 0 else {
            throw SetupError(
                description:
                    "cannot read the memory of process \(pid): \(String(cString: strerror(errno))) (run as root or as its user)"
            )
        }
        defer { close(memory) }
        for region in try regions(pid) {
            scanFile(memory, from: region.start, to: region.end, "memory \(region.description)")
        }

        let environ = open("/proc/\(pid)/environ", O_RDONLY | O_CLOEXEC)
        if environ >= 0 {
            scanFile(environ, from: 0, to: nil, "environment")
            close(environ)
        }

        var seenFiles = Set<String>()
        let fdDirectory = "/proc/\(pid)/fd"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: fdDirectory)) ?? [] {
            let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDirectory)/\(name)")) ?? "?"
            var info = stat()
            guard stat("\(fdDirectory)/\(name)", &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                Int(info.st_size) <= maxFileBytes
            else { continue }
            let fd = open("\(fdDirectory)/\(name)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            scanFile(fd, from: 0, to: nil, "fd \(name) \(link)")
            close(fd)
            seenFiles.insert(link)
        }

        let started = ProcFS.startTicks(of: pid).flatMap(ProcFS.epoch(ofTicks:)) ?? 0
        var targetUID = uid_t(0)
        var processInfo = stat()
        if stat("/proc/\(pid)", &processInfo) == 0 { targetUID = processInfo.st_uid }
        var directories = tempDirectories
        if let tmpdir = environment(pid)["TMPDIR"], !directories.contains(tmpdir) { directories.append(tmpdir) }
        for file in tempFiles(in: directories, owner: targetUID, since: started) where !seenFiles.contains(file) {
            let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            scanFile(fd, from: 0, to: nil, "temp file \(file)")
            close(fd)
        }
        return report
    }

    private struct Region {
        var start: Int
        var end: Int
        var description: String
    }

    /// The readable and writable mappings, from /proc/<pid>/maps: a secret the process received was
    /// written somewhere, and read-only code and data would only cost time and false alarms.
    private static func regions(_ pid: Int32) throws -> [Region] {
        guard let bytes = ProcFS.read("/proc/\(pid)/maps") else {
            throw SetupError(description: "cannot read /proc/\(pid)/maps")
        }
        let maps = String(decoding: bytes, as: UTF8.self)
        return maps.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[1].hasPrefix("rw") else { return nil }
            let path = fields.count > 5 ? fields[5...].joined(separator: " ") : "[anonymous]"
            guard !["[vvar]", "[vsyscall]", "[vvar_vclock]"].contains(path) else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = Int(bounds[0], radix: 16), let end = Int(bounds[1], radix: 16) else {
                return nil
            }
            return Region(start: start, end: end, description: "\(fields[0]) \(path)")
        }
    }

    private static func environment(_ pid: Int32) -> [String: String] {
        guard let data = ProcFS.read("/proc/\(pid)/environ") else { return [:] }
        var result: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
        }
        return result
    }

    /// Regular files of `owner` under `directories` (three levels deep), modified since `since`.
    private static func tempFiles(in directories: [String], owner: uid_t, since: Double) -> [String] {
        var found: [String] = []
        func walk(_ directory: String, depth: Int) {
            guard depth <= 3, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
                return
            }
            for name in names {
                let path = directory + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: walk(path, depth: depth + 1)
                case S_IFREG:
                    let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                    if info.st_uid == owner, modified >= since, Int(info.st_size) <= maxFileBytes {
                        found.append(path)
                    }
                default: continue
                }
            }
        }
        for directory in directories { walk(directory, depth: 0) }
        return found
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        guard needle.count > 0, haystack.count >= needle.count, let base = haystack.baseAddress,
            let pattern = needle.baseAddress
        else { return false }
        let first = Int32(needle[0])
        var position = base
        let last = base + (haystack.count - needle.count)
        while position <= last {
            guard let hit = memchr(position, first, last - position + 1) else { return false }
            if memcmp(hit, pattern, needle.count) == 0 { return true }
            position = UnsafeRawPointer(hit) + 1
        }
        return false
    }
}
