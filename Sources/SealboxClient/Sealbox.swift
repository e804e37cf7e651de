import NIOCore
import NIOPosix
import SealboxAPI
import SealboxCrypto

/// A handler's view of Sealbox: leases held in global scope, plaintext only inside `withValue`.
///
/// ```swift
/// let db = try await Sealbox.lease("/app/db/password")   // global scope: an id, never a secret
///
/// func handle(_ event: Event) async throws -> Response {
///     try await db.withValue { password in               // SecureBytes, wiped when this returns
///         try connect(user: "app", password: password)
///     }
/// }
/// ```
public enum Sealbox {
    /// The socket path: `$SEALBOX_SOCKET`, else `./.sealbox/sealbox.sock`.
    public static var defaultSocketPath: String {
        if let path = getenv("SEALBOX_SOCKET") { return String(cString: path) }
        return "./.sealbox/sealbox.sock"
    }

    /// Creates a lease on a parameter for this process.
    /// - Parameters:
    ///   - name: the parameter name.
    ///   - ttlSeconds: the lease lifetime; the daemon's default when nil.
    ///   - maxUses: the most redeems per lease; 0 for no limit.
    ///   - socketPath: the daemon's Unix socket.
    public static func lease(
        _ name: String,
        ttlSeconds: Int? = nil,
        maxUses: Int = 0,
        socketPath: String = defaultSocketPath
    ) async throws(SealboxError) -> SealboxLease {
        let lease = SealboxLease(name: name, ttlSeconds: ttlSeconds, maxUses: maxUses, socketPath: socketPath)
        try await lease.renewLease()
        return lease
    }

    /// Creates a lease on a Secrets Manager secret for this process. Each redeem serves the version
    /// that carries `versionStage` at the time (or the one `versionId` names).
    /// - Parameters:
    ///   - secretId: the secret's name or ARN.
    ///   - versionStage: the staging label to follow; nil for `AWSCURRENT`.
    ///   - versionId: one version to serve instead, if any.
    ///   - ttlSeconds: the lease lifetime; the daemon's default when nil.
    ///   - maxUses: the most redeems per lease; 0 for no limit.
    ///   - socketPath: the daemon's Unix socket.
    public static func lease(
        secretId: String,
        versionStage: String? = nil,
        versionId: String? = nil,
        ttlSeconds: Int? = nil,
        maxUses: Int = 0,
        socketPath: String = defaultSocketPath
    ) async throws(SealboxError) -> SealboxSecretLease {
        let lease = SealboxSecretLease(
            secretId: secretId, versionStage: versionStage, versionId: versionId, ttlSeconds: ttlSeconds,
            maxUses: maxUses, socketPath: socketPath)
        try await lease.renewLease()
        return lease
    }

    /// Decrypts the encrypted environment variable `name` (`NAME=sealbox:v1:...`, made by
    /// `sealbox env encrypt`) through the daemon. Call it during the invocation, not at import.
    /// - Parameters:
    ///   - name: the variable's name.
    ///   - socketPath: the daemon's Unix socket.
    /// - Returns: the plaintext in guarded memory.
    public static func environment(
        _ name: String,
        socketPath: String = defaultSocketPath
    ) async throws(SealboxError) -> SecureBytes {
        guard let token = getenv(name) else {
            throw SealboxError(kind: .notFound, status: nil, code: nil, message: "\(name) is not set")
        }
        return try await decryptEnvironment(name: name, token: String(cString: token), socketPath: socketPath)
    }

    /// Decrypts an env token through the daemon (`POST /v1/env/decrypt`).
    /// - Parameters:
    ///   - name: the variable the token was made for.
    ///   - token: the token: `sealbox:v1:...`, or a Fernet token made with `--fernet`.
    ///   - socketPath: the daemon's Unix socket.
    /// - Returns: the plaintext in guarded memory.
    public static func decryptEnvironment(
        name: String,
        token: String,
        socketPath: String = defaultSocketPath
    ) async throws(SealboxError) -> SecureBytes {
        let response = try await Transport.request(
            socketPath, .post, NativePath.envDecrypt, body: try Transport.body(EnvRequest(name: name, token: token)))
        guard response.status == 200 else { throw Transport.error(response) }
        defer { Transport.wipe(response) }
        return try RedeemResponse.secretString(RedeemedValue.valueMember, in: response.body)
    }
}

/// A failure talking to Sealbox.
public struct SealboxError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: Sendable, Equatable {
        /// The daemon could not be reached.
        case unavailable
        /// The policy refused the request.
        case accessDenied
        /// The parameter does not exist.
        case notFound
        /// The daemon answered something else.
        case other
    }

    public let kind: Kind
    /// The HTTP status, when the daemon answered.
    public let status: Int?
    /// The daemon's error code, when it answered.
    public let code: String?
    public let message: String

    public var description: String { "\(code ?? "\(kind)"): \(message)" }
}

/// A lease handle: safe to keep in global scope, it holds the lease id and never plaintext. It
/// re-leases transparently when the lease expired, was used up or revoked, or the daemon restarted
/// (leases live in the daemon's memory only).
public final class SealboxLease: Sendable {
    /// The leased parameter.
    public let name: String
    private let handle: LeaseHandle

    init(name: String, ttlSeconds: Int?, maxUses: Int, socketPath: String) {
        self.name = name
        handle = LeaseHandle(
            CreateLeaseRequest(name: name, ttlSeconds: ttlSeconds, maxUses: maxUses), socketPath: socketPath)
    }

    /// The current lease id (for diagnostics).
    public var id: String? { handle.id }

    /// Redeems the lease and hands the plaintext to `body`; the bytes are wiped when it returns.
    /// - Parameter body: uses the secret; it must not copy it anywhere that outlives the call.
    public func withValue<R>(_ body: (SecureBytes) throws -> R) async throws -> R {
        let (value, _) = try await redeem()
        return try body(value)
    }

    /// Redeems the lease: the plaintext in guarded memory, and its version.
    public func redeem() async throws(SealboxError) -> (value: SecureBytes, version: Int) {
        try await handle.redeem(RedeemResponse.parse)
    }

    /// Takes a fresh lease, replacing the current one.
    func renewLease() async throws(SealboxError) { try await handle.renew() }
}

/// A lease on a Secrets Manager secret: like ``SealboxLease``, it holds the lease id, never
/// plaintext, and re-leases transparently. Each redeem serves the version that carries its staging
/// label then, so a rotation shows at the next redeem.
public final class SealboxSecretLease: Sendable {
    /// The secret, as it was named.
    public let secretId: String
    private let handle: LeaseHandle

    init(
        secretId: String, versionStage: String?, versionId: String?, ttlSeconds: Int?, maxUses: Int,
        socketPath: String
    ) {
        self.secretId = secretId
        handle = LeaseHandle(
            CreateLeaseRequest(
                secretId: secretId, versionStage: versionStage, versionId: versionId, ttlSeconds: ttlSeconds,
                maxUses: maxUses),
            socketPath: socketPath)
    }

    /// The current lease id (for diagnostics).
    public var id: String? { handle.id }

    /// Redeems the lease and hands the value to `body`: the `SecretString`'s UTF-8, or the
    /// `SecretBinary`'s bytes. They are wiped when it returns.
    /// - Parameter body: uses the secret; it must not copy it anywhere that outlives the call.
    public func withValue<R>(_ body: (SecureBytes) throws -> R) async throws -> R {
        try body(try await redeem().value)
    }

    /// Redeems the lease: the value in guarded memory, its version id, and whether it is a
    /// `SecretBinary`.
    public func redeem() async throws(SealboxError) -> (value: SecureBytes, versionId: String, binary: Bool) {
        try await handle.redeem(RedeemResponse.parseSecret)
    }

    /// Takes a fresh lease, replacing the current one.
    func renewLease() async throws(SealboxError) { try await handle.renew() }
}

/// The lease id behind a handle, and the calls that take, redeem and retake it.
final class LeaseHandle: Sendable {
    private let request: CreateLeaseRequest
    private let socketPath: String
    private let leaseID = Locked<String?>(nil)

    init(_ request: CreateLeaseRequest, socketPath: String) {
        self.request = request
        self.socketPath = socketPath
    }

    var id: String? { leaseID.withLock { $0 } }

    /// Redeems, taking a new lease first when there is none or the daemon no longer knows this one.
    func redeem<R>(_ parse: ([UInt8]) throws(SealboxError) -> R) async throws(SealboxError) -> R {
        if id == nil { try await renew() }
        do {
            return try await redeemOnce(parse)
        } catch let error where ["LeaseNotFound", "LeaseExpired", "LeaseUsedUp"].contains(error.code ?? "") {
            try await renew()
            return try await redeemOnce(parse)
        }
    }

    private func redeemOnce<R>(_ parse: ([UInt8]) throws(SealboxError) -> R) async throws(SealboxError) -> R {
        guard let id else { throw SealboxError(kind: .other, status: nil, code: nil, message: "no lease") }
        let response = try await Transport.request(socketPath, .post, NativePath.redeem(id), body: [])
        guard response.status == 200 else { throw Transport.error(response) }
        defer { Transport.wipe(response) }
        return try parse(response.body)
    }

    /// Takes a fresh lease, replacing the current one.
    func renew() async throws(SealboxError) {
        let response = try await Transport.request(
            socketPath, .post, NativePath.leases, body: try Transport.body(request))
        guard response.status == 201 else { throw Transport.error(response) }
        guard let id = RedeemResponse.stringField(LeaseInfo.CodingKeys.leaseId.stringValue, in: response.body) else {
            throw SealboxError(
                kind: .other, status: response.status, code: nil, message: "the lease answer has no leaseId")
        }
        leaseID.withLock { $0 = id }
    }
}

/// One short connection per call: handlers call rarely, and a connection held across invocations
/// of a frozen Lambda container would go stale.
enum Transport {
    static func request(
        _ socketPath: String,
        _ method: SealboxMethod,
        _ path: String,
        body: [UInt8]
    ) async throws(SealboxError) -> SealboxResponse {
        let connection: SealboxConnection
        do {
            connection = try await SealboxConnection.connect(to: .unixSocket(path: socketPath))
        } catch let error as SealboxUntrustedDaemonError {
            throw SealboxError(kind: .unavailable, status: nil, code: "UntrustedDaemon", message: error.description)
        } catch {
            throw SealboxError(
                kind: .unavailable, status: nil, code: nil,
                message:
                    "cannot reach sealboxd at \(socketPath): is it running (make run), and is SEALBOX_SOCKET right?")
        }
        defer { Task { await connection.close() } }
        do {
            return try await connection.request(
                method, path, headers: [("Content-Type", "application/json")], body: body)
        } catch {
            throw SealboxError(
                kind: .unavailable, status: nil, code: nil, message: "sealboxd at \(socketPath) closed the connection")
        }
    }

    /// A request body from SealboxAPI, as JSON.
    /// - Parameter request: the body.
    static func body(_ request: some Encodable) throws(SealboxError) -> [UInt8] {
        do {
            return try FlatJSONEncoder.encode(request)
        } catch {
            throw SealboxError(kind: .other, status: nil, code: nil, message: "the request cannot be encoded")
        }
    }

    /// The error a native answer (``NativeErrorBody``) or an AWS-shaped one (`__type`) carries.
    static func error(_ response: SealboxResponse) -> SealboxError {
        typealias Member = NativeErrorBody.CodingKeys
        let code =
            RedeemResponse.stringField(Member.error.stringValue, in: response.body)
            ?? RedeemResponse.stringField("__type", in: response.body)
        let message =
            RedeemResponse.stringField(Member.message.stringValue, in: response.body) ?? "HTTP \(response.status)"
        let kind: SealboxError.Kind =
            switch response.status {
            case 403: .accessDenied
            case 404: .notFound
            default: .other
            }
        return SealboxError(kind: kind, status: response.status, code: code, message: message)
    }

    static func wipe(_ response: SealboxResponse) {
        var body = response.body
        body.withUnsafeMutableBytes { Sodium.zero($0) }
    }
}

/// Reads `{"value": "...", "version": n}` without Foundation, decoding the value's JSON escapes
/// straight into guarded memory.
enum RedeemResponse {
    static func parse(_ body: [UInt8]) throws(SealboxError) -> (value: SecureBytes, version: Int) {
        guard let version = intField(RedeemedValue.versionMember, in: body) else {
            throw SealboxError(kind: .other, status: 200, code: nil, message: "unexpected redeem answer")
        }
        return (try secretString(RedeemedValue.valueMember, in: body), version)
    }

    /// Reads a secret lease's `{"value" or "binary", "versionId"}`; a binary value is decoded from
    /// base64 into guarded memory.
    static func parseSecret(_ body: [UInt8]) throws(SealboxError) -> (
        value: SecureBytes, versionId: String, binary: Bool
    ) {
        guard let versionId = stringField(RedeemedValue.versionIdMember, in: body) else {
            throw SealboxError(kind: .other, status: 200, code: nil, message: "unexpected redeem answer")
        }
        guard let range = stringRange(RedeemedValue.binaryMember, in: body) else {
            return (try secretString(RedeemedValue.valueMember, in: body), versionId, false)
        }
        do {
            return (try Base64.decodeSecure(body[range]), versionId, true)
        } catch {
            throw SealboxError(kind: .other, status: 200, code: nil, message: "the answer's binary is not base64")
        }
    }

    /// A string member, unescaped into guarded memory.
    static func secretString(_ name: String, in body: [UInt8]) throws(SealboxError) -> SecureBytes {
        guard let range = stringRange(name, in: body) else {
            throw SealboxError(kind: .other, status: 200, code: nil, message: "the answer has no \(name)")
        }
        let raw = body[range]
        var length = 0
        do {
            let scratch = try SecureBytes(count: raw.count) { out in
                length = try unescape(raw, into: out)
            }
            let value = try SecureBytes(count: length) { out in
                scratch.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
            }
            return value
        } catch {
            throw SealboxError(kind: .other, status: 200, code: nil, message: "the answer has a bad escape")
        }
    }

    /// The bytes between the quotes of `"name":"..."`, escapes still encoded.
    static func stringRange(_ name: String, in body: [UInt8]) -> Range<Int>? {
        let key = Array("\"\(name)\":\"".utf8)
        guard let start = firstIndex(of: key, in: body) else { return nil }
        var index = start + key.count
        let begin = index
        while index < body.count {
            if body[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if body[index] == UInt8(ascii: "\"") { return begin..<index }
            index += 1
        }
        return nil
    }

    static func stringField(_ name: String, in body: [UInt8]) -> String? {
        stringRange(name, in: body).map { String(decoding: body[$0], as: UTF8.self) }
    }

    static func intField(_ name: String, in body: [UInt8]) -> Int? {
        let key = Array("\"\(name)\":".utf8)
        guard let start = firstIndex(of: key, in: body) else { return nil }
        let digits = body[(start + key.count)...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return Int(String(decoding: digits, as: UTF8.self))
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    struct BadEscape: Error {}

    /// Decodes JSON string escapes into `out`; returns the decoded length.
    static func unescape(_ raw: ArraySlice<UInt8>, into out: UnsafeMutableRawBufferPointer) throws -> Int {
        var length = 0
        var index = raw.startIndex
        func put(_ byte: UInt8) {
            out[length] = byte
            length += 1
        }
        func hex4(_ at: Int) throws -> UInt32 {
            guard at + 4 <= raw.endIndex,
                let value = UInt32(String(decoding: raw[at..<(at + 4)], as: UTF8.self), radix: 16)
            else { throw BadEscape() }
            return value
        }
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                put(byte)
                index += 1
                continue
            }
            guard index + 1 < raw.endIndex else { throw BadEscape() }
            switch raw[index + 1] {
            case UInt8(ascii: "\""): put(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): put(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): put(UInt8(ascii: "/"))
            case UInt8(ascii: "n"): put(0x0a)
            case UInt8(ascii: "r"): put(0x0d)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0c)
            case UInt8(ascii: "u"):
                var scalar = try hex4(index + 2)
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 2 + 6 <= raw.endIndex,
                    raw[index + 2] == UInt8(ascii: "\\")
                {
                    let low = try hex4(index + 4)
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw BadEscape() }
                for byte in String(Character(unicode)).utf8 { put(byte) }
            default: throw BadEscape()
            }
            index += 2
        }
        return length
    }
}
