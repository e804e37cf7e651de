import SealboxCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What one audited request touched, filled in by ``RequestContext/authorize(_:)`` as the
/// operation checks its resources.
public final class AuditTrail: Sendable {
    private let touched = Mutex<[String]>([])
    private let lease = Mutex<String?>(nil)

    public init() {}

    func add(_ resource: String) { touched.withLock { $0.append(resource) } }

    /// Records the lease a native request used.
    /// - Parameter id: the lease id.
    public func setLease(_ id: String) { lease.withLock { $0 = id } }

    var resources: [String] { touched.withLock { $0 } }
    var leaseID: String? { lease.withLock { $0 } }
}

/// The append-only audit log: one JSON line per audited request, never holding a value.
///
/// Records are hash-chained with a keyed MAC (HMAC-SHA256 under a key derived from the root key), so
/// deleting, reordering or editing a record is detectable by ``AuditVerifier``. To keep the hot
/// path free of a global lock there is one chain per shard (threads map to shards); each line names
/// its chain and sequence number. Every daemon run starts fresh chains under a random run id.
/// A record that cannot be written fails the request (fail closed).
public final class AuditLog: Sendable {
    private struct Chain {
        var sequence = 0
        var previous = "start"
    }

    private final class Shard: Sendable {
        let chain = Mutex(Chain())
    }

    private let fd: Int32
    private let closeOnDeinit: Bool
    private let key: SecureBytes
    private let run = Hex.encode(Sodium.randomBytes(8))
    private let shards = (0..<8).map { _ in Shard() }
    private let clock: any WallClock

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
        if path == "-" {
            fd = STDERR_FILENO
            closeOnDeinit = false
        } else {
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw SetupError(description: "cannot open the audit log \(path): \(String(cString: strerror(errno)))")
            }
            closeOnDeinit = true
        }
        self.key = key
        self.clock = clock
    }

    deinit {
        if closeOnDeinit { close(fd) }
    }

    private var shardIndex: Int { ThreadShard.index(of: shards.count) }

    /// Appends one record.
    /// - Parameters:
    ///   - context: the caller and the action.
    ///   - trail: what the request touched.
    ///   - result: `allowed`, `denied` or `failed:<code>`.
    /// - Throws: if the line could not be written whole; the caller must then fail the request.
    public func record(_ context: RequestContext, trail: AuditTrail, result: String) throws {
        var fields = "\"time\":\(clock.now()),\"principal\":\(Self.principal(context.principal))"
        fields += ",\"action\":\(JSONText.quoted(context.action))"
        fields += ",\"resources\":[\(trail.resources.map(JSONText.quoted).joined(separator: ","))]"
        if let lease = trail.leaseID { fields += ",\"leaseId\":\(JSONText.quoted(lease))" }
        fields += ",\"result\":\(JSONText.quoted(result))"
        let shardIndex = self.shardIndex
        try shards[shardIndex].chain.withLock { chain in
            let body =
                "{\"chain\":\"\(run)-\(shardIndex)\",\"seq\":\(chain.sequence + 1),\(fields),\"prev\":\"\(chain.previous)\""
            let mac = Hex.encode(Digest.hmacSHA256(key: key, Array(body.utf8)))
            let line = Array("\(body),\"mac\":\"\(mac)\"}\n".utf8)
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == line.count else {
                throw SetupError(description: "the audit log could not be written: \(String(cString: strerror(errno)))")
            }
            chain.sequence += 1
            chain.previous = mac
        }
    }

    private static func principal(_ principal: RequestContext.Principal) -> String {
        switch principal {
        case .process(let pid, let uid, let gid, _): "{\"uid\":\(uid),\"gid\":\(gid),\"pid\":\(pid)}"
        case .accessKey(let id): "{\"accessKey\":\(JSONText.quoted(id))}"
        case .token: "{\"token\":true}"
        case .anonymous: "{\"anonymous\":true}"
        }
    }
}

/// Minimal JSON string quoting for audit lines (names and resources, never secrets).
enum JSONText {
    static func quoted(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
