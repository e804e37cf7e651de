import Foundation
import SealboxCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The append-only audit log: one JSON line per audited request, never holding a value.
///
/// Records are hash-chained with a keyed MAC (HMAC-SHA256 under a key derived from the root key), so
/// deleting, reordering or editing a record is detectable by ``AuditVerifier``. To keep the hot
/// path free of a global lock the log holds many chains, each named in its lines with a sequence
/// number: one per event loop (``makeChain()``), which batches a loop iteration's records into one
/// `write(2)`, and a few shared by other threads for ``record(_:trail:result:)``. Every daemon run
/// starts fresh chains under a random run id. A record that cannot be written fails its request
/// (fail closed).
public final class AuditLog: Sendable {
    private let sink: AuditSink
    private let run = Hex.encode(Sodium.randomBytes(8))
    private let chainCount = Atomic<Int>(0)
    private let shared: [AuditChain]
    /// The file, or nil for standard error.
    public let path: String?

    /// The MAC key of the audit log, derived from the root key.
    /// - Parameter rootKey: the root key.
    public static func key(rootKey: SecureBytes) -> SecureBytes {
        Digest.hmacSHA256Secure(key: rootKey, Array("sealbox-audit-v1".utf8))
    }

    /// Opens (creating, mode 0600) the log for appending; `-` means standard error.
    /// - Parameters:
    ///   - path: the file, or `-`.
    ///   - key: the MAC key (``key(rootKey:)``).
    ///   - clock: the time source.
    public init(path: String, key: SecureBytes, clock: any WallClock = SystemClock()) throws {
        let sink = try AuditSink(path: path, key: key, clock: clock)
        self.sink = sink
        self.path = path == "-" ? nil : path
        let run = self.run
        shared = (0..<4).map { AuditChain(id: "\(run)-s\($0)", sink: sink) }
    }

    /// The line of a record a crash left torn at the end of the file, closed with a newline at open
    /// so that new records start on their own line; nil when the file ended cleanly.
    public var repairedTornLine: Int? { sink.tornLine }

    /// Writes that failed (and refused their requests) since start.
    public var writeFailures: Int { sink.failures.load(ordering: .relaxed) }

    /// Verifies the whole file as it is now.
    /// - Returns: the verifier's report; nil when the log is standard error.
    public func verify() throws -> AuditVerifier.Report? {
        guard let path else { return nil }
        return AuditVerifier.verify(Array(try Data(contentsOf: URL(fileURLWithPath: path))), key: sink.key)
    }

    /// A new chain for one writer, typically an event loop: it appends records and writes them with
    /// ``AuditChain/flush()``.
    public func makeChain() -> AuditChain {
        let index = chainCount.wrappingAdd(1, ordering: .relaxed).oldValue
        return AuditChain(id: "\(run)-\(index)", sink: sink)
    }

    /// Appends one record and writes it at once, on a chain shared with other threads.
    /// - Parameters:
    ///   - context: the caller and the action.
    ///   - trail: what the request touched.
    ///   - result: `allowed`, `denied` or `failed:<code>`.
    /// - Throws: if the line could not be written whole; the caller must then fail the request.
    public func record(_ context: RequestContext, trail: AuditTrail, result: String) throws {
        try shared[ThreadShard.index(of: shared.count)].record(context, trail: trail, result: result)
    }
}

/// The open log file and what every chain needs to write to it.
final class AuditSink: Sendable {
    let fd: Int32
    let closeOnDeinit: Bool
    let key: SecureBytes
    /// The same key with its pads hashed, for the records' MACs.
    let mac: HMACKey
    package let clock: any WallClock
    let failures = Atomic<Int>(0)
    let tornLine: Int?

    init(path: String, key: SecureBytes, clock: any WallClock) throws {
        mac = HMACKey(key)
        if path == "-" {
            fd = STDERR_FILENO
            closeOnDeinit = false
        } else {
            let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard opened >= 0 else {
                throw SetupError(description: "cannot open the audit log \(path): \(String(cString: strerror(errno)))")
            }
            fd = opened
            closeOnDeinit = true
            // A crash mid-write leaves a record without its newline; end it, so the verifier can
            // name it and every later record stands on its own line. Only the last byte is read, so
            // start-up time does not grow with the log.
            if Self.endsTorn(path) {
                tornLine = Self.lineCount(path) + 1
                let newline: [UInt8] = [UInt8(ascii: "\n")]
                _ = newline.withUnsafeBytes { write(opened, $0.baseAddress, 1) }
            } else {
                tornLine = nil
            }
            self.key = key
            self.clock = clock
            return
        }
        tornLine = nil
        self.key = key
        self.clock = clock
    }

    deinit {
        if closeOnDeinit { close(fd) }
    }

    private static func endsTorn(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_size > 0 else { return false }
        var last: UInt8 = 0
        return pread(fd, &last, 1, status.st_size - 1) == 1 && last != UInt8(ascii: "\n")
    }

    private static func lineCount(_ path: String) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var lines = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return lines }
            for byte in buffer[..<count] where byte == UInt8(ascii: "\n") { lines += 1 }
        }
    }

    func writeAll(_ bytes: [UInt8]) throws {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            failures.add(1, ordering: .relaxed)
            throw AuditWriteError(reason: String(cString: strerror(errno)))
        }
    }
}
