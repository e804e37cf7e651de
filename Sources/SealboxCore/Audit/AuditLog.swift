import Foundation
import SealboxCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A secret a request handed out in plaintext, named so that it can be decrypted again later (for
/// `sealbox inspect`), never holding the plaintext itself.
public enum ServedSecret: Sendable, Hashable {
    /// A SecureString version.
    case parameter(name: String, version: Int)
    /// A KMS ciphertext whose plaintext was returned (Decrypt, GenerateDataKey).
    case ciphertext(blob: [UInt8], context: [String: String])
    /// An env token, decrypted as the variable `name`.
    case environment(name: String, token: String)
}

/// What one audited request touched, filled in by ``RequestContext/authorize(_:)`` as the
/// operation checks its resources, and which secrets it served.
///
/// A trail belongs to one request, which runs on one thread at a time: it may move from its event
/// loop to the thread pool and back, and those hand-offs order its accesses. So it takes no lock,
/// which on every request was two allocations and a lock round trip per access.
public final class AuditTrail: @unchecked Sendable {
    private var touched = InlineFirstList<String>()
    /// A slice of the request's path, not a copy of it.
    private var lease: Substring? = nil
    private var secrets = InlineFirstList<ServedSecret>()

    public init() {}

    /// Records a secret the request returns in plaintext.
    /// - Parameter secret: how to find it again.
    public func served(_ secret: ServedSecret) { secrets.append(secret) }

    /// The secrets the request returned in plaintext.
    public var servedSecrets: [ServedSecret] { Array(secrets) }

    /// The resources the request touched.
    public var touchedResources: [String] { Array(touched) }

    func add(_ resource: String) { touched.append(resource) }

    /// Records the lease a native request used.
    /// - Parameter id: the lease id.
    public func setLease(_ id: String) { lease = id[...] }

    /// Records the lease a native request named in its path.
    /// - Parameter id: the lease id.
    public func setLease(_ id: Substring) { lease = id }

    var resources: InlineFirstList<String> { touched }
    var leaseID: Substring? { lease }
}

/// A list whose first element is held inline: a request touches one resource and serves at most one
/// secret nearly always, and an array for each was two allocations per request.
struct InlineFirstList<Element>: Sequence {
    private var first: Element?
    private var rest: [Element] = []

    mutating func append(_ element: Element) {
        if first == nil { first = element } else { rest.append(element) }
    }

    func makeIterator() -> Iterator { Iterator(first: first, rest: rest.makeIterator()) }

    struct Iterator: IteratorProtocol {
        var first: Element?
        var rest: IndexingIterator<[Element]>

        mutating func next() -> Element? {
            if let element = first.take() { return element }
            return rest.next()
        }
    }
}

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
private final class AuditSink: Sendable {
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

/// One hash chain of the audit log. Records are appended to a buffer and written together by
/// ``flush()``; a failed write rolls the chain back to its last written record, so the chain stays
/// unbroken for the records that follow.
public final class AuditChain: Sendable {
    private struct State {
        var sequence = 0
        var previous: [UInt8] = Array("start".utf8)
        var written = (sequence: 0, previous: Array("start".utf8))
        var pending: [UInt8] = []
    }

    private let id: [UInt8]
    private let sink: AuditSink
    private let state = Locked(State())

    fileprivate init(id: String, sink: AuditSink) {
        self.id = Array(id.utf8)
        self.sink = sink
    }

    /// Adds one record to the buffer; it reaches the file with the next ``flush()``.
    /// - Parameters:
    ///   - context: the caller and the action.
    ///   - trail: what the request touched.
    ///   - result: `allowed`, `denied` or `failed:<code>`.
    public func append(_ context: RequestContext, trail: AuditTrail, result: String) {
        let time = sink.clock.now()
        state.withLock { append(&$0, context, trail, result, time) }
    }

    /// Writes every buffered record with one `write(2)`.
    /// - Throws: if the records could not be written whole; each of their requests must then fail.
    public func flush() throws {
        try state.withLock { try flush(&$0) }
    }

    fileprivate func record(_ context: RequestContext, trail: AuditTrail, result: String) throws {
        let time = sink.clock.now()
        try state.withLock { state in
            append(&state, context, trail, result, time)
            try flush(&state)
        }
    }

    private func flush(_ state: inout State) throws {
        guard !state.pending.isEmpty else { return }
        defer { state.pending.removeAll(keepingCapacity: true) }
        do {
            try sink.writeAll(state.pending)
            state.written = (state.sequence, state.previous)
        } catch {
            (state.sequence, state.previous) = state.written
            throw error
        }
    }

    private func append(
        _ state: inout State,
        _ context: RequestContext,
        _ trail: AuditTrail,
        _ result: String,
        _ time: Double
    ) {
        state.sequence += 1
        let start = state.pending.count
        var out = state.pending
        state.pending = []
        out.append(literal: #"{"chain":""#)
        out.append(contentsOf: id)
        out.append(literal: #"","seq":"#)
        out.appendDecimal(UInt64(state.sequence))
        out.append(literal: #","time":"#)
        Self.appendTime(time, to: &out)
        out.append(literal: #","principal":"#)
        Self.principal(context.principal, into: &out)
        out.append(literal: #","action":"#)
        JSONText.appendQuoted(context.action.name, to: &out)
        out.append(literal: #","resources":["#)
        for (index, resource) in trail.resources.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(resource, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        if let lease = trail.leaseID {
            out.append(literal: #","leaseId":"#)
            JSONText.appendQuoted(lease, to: &out)
        }
        out.append(literal: #","result":"#)
        JSONText.appendQuoted(result, to: &out)
        out.append(literal: #","prev":""#)
        out.append(contentsOf: state.previous)
        out.append(UInt8(ascii: "\""))
        // The MAC goes from the stack into the line as hex, and the line's digits become the next
        // record's `prev`: no array for either, on every audited request.
        var macStart = 0
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { mac in
            out.withUnsafeBytes { sink.mac.mac(UnsafeRawBufferPointer(rebasing: $0[start...]), into: mac) }
            out.append(literal: #","mac":""#)
            macStart = out.count
            out.append(contentsOf: repeatElement(0, count: 64))
            _ = out.withUnsafeMutableBufferPointer {
                Hex.write(UnsafeRawBufferPointer(mac), into: UnsafeMutableBufferPointer(rebasing: $0[macStart...]))
            }
        }
        state.previous.replaceSubrange(state.previous.indices, with: out[macStart...])
        out.append(literal: "\"}\n")
        state.pending = out
    }

    /// Seconds since the epoch to the microsecond. `"\(time)"` went through the shortest-digits
    /// float printer and a String on every record (1% of a redeem).
    static func appendTime(_ time: Double, to out: inout [UInt8]) {
        let micros = (time * 1_000_000).rounded()
        guard micros >= 0, micros < 1e18 else { return out.append(contentsOf: "\(time)".utf8) }
        let value = UInt64(micros)
        out.appendDecimal(value / 1_000_000)
        out.append(UInt8(ascii: "."))
        let fraction = value % 1_000_000
        var scale: UInt64 = 100_000
        while scale > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / scale % 10))
            scale /= 10
        }
    }

    private static func principal(_ principal: RequestContext.Principal, into out: inout [UInt8]) {
        switch principal {
        case .process(let pid, let uid, let gid, _):
            out.append(literal: #"{"uid":"#)
            out.appendDecimal(UInt64(uid))
            out.append(literal: #","gid":"#)
            out.appendDecimal(UInt64(gid))
            out.append(literal: #","pid":"#)
            if pid < 0 { out.append(UInt8(ascii: "-")) }
            out.appendDecimal(UInt64(pid.magnitude))
            out.append(UInt8(ascii: "}"))
        case .accessKey(let id):
            out.append(literal: #"{"accessKey":"#)
            JSONText.appendQuoted(id, to: &out)
            out.append(UInt8(ascii: "}"))
        case .token: out.append(literal: #"{"token":true}"#)
        case .anonymous: out.append(literal: #"{"anonymous":true}"#)
        }
    }
}

extension [UInt8] {
    /// Appends a literal's bytes as one copy: through `String.UTF8View` each went the generic
    /// sequence path, a dozen times per audit record.
    mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends `value` in decimal, without making a String of it.
    mutating func appendDecimal(_ value: UInt64) {
        JSONText.withDecimalDigits(of: value) { append(contentsOf: $0) }
    }
}

/// Minimal JSON string quoting for audit and log lines (names and resources, never secrets).
package enum JSONText {
    /// The text as a JSON string literal, quotes included.
    /// - Parameter text: the text.
    package static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the text as a JSON string literal, quotes included. Escaping works byte by byte:
    /// every byte of a multi-byte UTF-8 sequence is 0x80 or above, so none is ever escaped.
    /// - Parameters:
    ///   - text: the text.
    ///   - out: where the literal goes.
    package static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendQuoted($0, to: &out) }
    }

    /// Appends part of a string as a JSON string literal, quotes included.
    /// - Parameters:
    ///   - text: the text.
    ///   - out: where the literal goes.
    package static func appendQuoted(_ text: Substring, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendQuoted($0, to: &out) }
    }

    private static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Runs between escapes are copied whole: audit lines quote several strings per request.
        var start = 0
        for index in bytes.indices where needsEscape(bytes[index]) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            escape(bytes[index]) { out.append($0) }
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        out.append(UInt8(ascii: "\""))
    }

    /// Runs `body` on the decimal digits of `value`, written on the stack: audit lines and response
    /// heads write numbers on every request, and `String(value)` is a conversion and a copy each.
    /// - Parameters:
    ///   - value: the number.
    ///   - body: reads the ASCII digits.
    package static func withDecimalDigits<Result>(
        of value: UInt64, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { raw in
            var index = raw.count
            var rest = value
            repeat {
                index -= 1
                raw[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            return body(UnsafeRawBufferPointer(rebasing: raw[index...]))
        }
    }

    /// Whether a byte must be escaped inside a JSON string: a control character, `"` or `\`.
    /// - Parameter byte: one byte of UTF-8 text.
    package static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Emits the escape of a byte that needs one: `\"`, `\\`, `\n`, `\r`, `\t`, or `\u00XX`.
    /// Shared by these lines and by `SensitiveJSON`, which writes into guarded memory.
    /// - Parameters:
    ///   - byte: a byte for which ``needsEscape(_:)`` holds.
    ///   - emit: takes each byte of the escape in turn.
    package static func escape(_ byte: UInt8, _ emit: (UInt8) -> Void) {
        emit(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): emit(byte)
        case UInt8(ascii: "\n"): emit(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): emit(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): emit(UInt8(ascii: "t"))
        default:
            // Digit by digit, never through an array: the byte may be part of a secret.
            for digit in [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")] { emit(digit) }
            emit(Hex.digit(byte >> 4))
            emit(Hex.digit(byte & 0x0f))
        }
    }
}
