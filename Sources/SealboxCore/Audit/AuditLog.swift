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
/// `write(2)`, and a few shared by other threads for ``record(_:trail:result:)``. A record that
/// cannot be written fails its request (fail closed).
///
/// Every daemon run starts fresh chains under a random run id, and one more chain named by the run
/// id alone ties them together: its first record, the run header (`"action":"audit:Open"`), names the MAC
/// of the last record already in the file, so deleting the end of the previous run or a whole
/// earlier run is detectable; its later records, checkpoints (`"action":"audit:Checkpoint"`, and
/// `"audit:Close"` at shutdown), sign every chain's written head, so a record missing from, or
/// moved across, a checkpoint is detectable. See ``checkpoint(final:)``.
public final class AuditLog: Sendable {
    private let sink: AuditSink
    private let run = Hex.encode(Sodium.randomBytes(8))
    private let chainCount = Atomic<Int>(0)
    private let shared: [AuditChain]
    /// The run's header and checkpoints.
    private let runChain: AuditChain
    /// Every chain of the run but ``runChain``, in the order checkpoints lock them; and the heads the
    /// last checkpoint signed, so an idle daemon writes none.
    private let registry: Locked<(chains: [AuditChain], signed: [Int])>
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
        runChain = AuditChain(id: run, sink: sink, waitsForHeader: false)
        registry = Locked((shared, []))
        // Without its header the run's records could not be tied to the file: until it is written
        // (here, or by a later ``checkpoint(final:)``), every chain refuses to write.
        try? writeHeader()
    }

    /// This run's id: the prefix of its chains' names, and the name of the chain of its header and
    /// checkpoints.
    public var runID: String { run }

    /// Whether the run header is written, without which no record is (fail closed).
    public var isReady: Bool { sink.ready.load(ordering: .relaxed) }

    private func writeHeader() throws {
        var members: [UInt8] = []
        members.append(literal: #""action":"audit:Open","after":""#)
        members.append(contentsOf: sink.lastMAC() ?? Array("start".utf8))
        members.append(UInt8(ascii: "\""))
        try runChain.record(members: members)
        sink.ready.store(true, ordering: .relaxed)
    }

    /// Writes a checkpoint: a record on the run's own chain that names every other chain's last
    /// written record (`"heads":{"<chain>":[seq,"<mac>"],...}`, chains with no record left out).
    /// Each chain is locked while the checkpoint is written, so the file holds exactly those records
    /// of each chain before it and the later ones after it; requests wait for one `write(2)` at most,
    /// and only at checkpoint time. A periodic checkpoint is skipped when no chain moved since the
    /// last one. The final one closes every chain: a record after it would be refused.
    /// - Parameter final: whether this is the shutdown checkpoint (`audit:Close`).
    /// - Returns: whether a checkpoint was written.
    /// - Throws: if the checkpoint (or a header not yet written) could not be written.
    @discardableResult
    public func checkpoint(final: Bool) throws -> Bool {
        try registry.withLock { registry in
            if !isReady { try writeHeader() }
            var wrote = false
            try Self.holding(registry.chains[...], [], close: final) { heads in
                let sequences = heads.map(\.sequence)
                guard final || sequences != registry.signed else { return }
                var members: [UInt8] = []
                members.append(literal: #""action":"audit:"#)
                members.append(contentsOf: Array((final ? "Close" : "Checkpoint").utf8))
                members.append(literal: #"","heads":{"#)
                var first = true
                for head in heads where head.sequence > 0 {
                    if !first { members.append(UInt8(ascii: ",")) }
                    first = false
                    members.append(UInt8(ascii: "\""))
                    members.append(contentsOf: head.id)
                    members.append(literal: #"":["#)
                    members.appendDecimal(UInt64(head.sequence))
                    members.append(literal: #",""#)
                    members.append(contentsOf: head.mac)
                    members.append(literal: #""]"#)
                }
                members.append(UInt8(ascii: "}"))
                try runChain.record(members: members)
                registry.signed = sequences
                wrote = true
            }
            return wrote
        }
    }

    /// Locks each chain in turn, collecting its written head, and runs `write` with all of them
    /// held; when `close` and `write` succeeded, closes them on the way out.
    private static func holding(
        _ chains: ArraySlice<AuditChain>,
        _ heads: [(id: [UInt8], sequence: Int, mac: [UInt8])],
        close: Bool,
        _ write: ([(id: [UInt8], sequence: Int, mac: [UInt8])]) throws -> Void
    ) throws {
        guard let chain = chains.first else { return try write(heads) }
        try chain.withWrittenHead { sequence, mac, closed in
            try holding(chains.dropFirst(), heads + [(chain.id, sequence, mac)], close: close, write)
            if close { closed = true }
        }
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
        return AuditVerifier.verify(
            Array(try Data(contentsOf: URL(fileURLWithPath: path))), key: sink.key, openRun: run)
    }

    /// A new chain for one writer, typically an event loop: it appends records and writes them with
    /// ``AuditChain/flush()``. Checkpoints sign its head from then on.
    public func makeChain() -> AuditChain {
        let index = chainCount.wrappingAdd(1, ordering: .relaxed).oldValue
        let chain = AuditChain(id: "\(run)-\(index)", sink: sink)
        registry.withLock { $0.chains.append(chain) }
        return chain
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
    /// Whether the run header is written; until then no record is.
    let ready = Atomic<Bool>(false)
    private let path: String?

    init(path: String, key: SecureBytes, clock: any WallClock) throws {
        mac = HMACKey(key)
        self.path = path == "-" ? nil : path
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

    /// The MAC (hex) of the file's last complete record, nil for an empty file or standard error: a
    /// new run's header names it. Read backwards from the end, so start-up does not read the log.
    func lastMAC() -> [UInt8]? {
        guard let path else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        var end = Int(status.st_size)
        var tail: [UInt8] = []
        let block = 1 << 16
        while end > 0 {
            let start = max(0, end - block)
            var chunk = [UInt8](repeating: 0, count: end - start)
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
            guard count == chunk.count else { return nil }
            tail = chunk + tail
            end = start
            // Lines wholly inside `tail`: all but the first, unless the file starts there.
            var lines = tail.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if start > 0 { lines.removeFirst() }
            for line in lines.reversed() {
                if let mac = AuditVerifier.mac(of: line) { return Array(mac) }
            }
        }
        return nil
    }

    func writeAll(_ bytes: [UInt8]) throws {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            failures.add(1, ordering: .relaxed)
            throw AuditWriteError(reason: String(cString: strerror(errno)))
        }
    }
}
