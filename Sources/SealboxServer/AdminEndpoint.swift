import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore

/// Sealbox's own admin and handler endpoints beyond leases: `GET /v1/status`, key rewrap and
/// retirement (`/v1/keys/...`), the audit log (`/v1/audit...`) and encrypted environment
/// variables (`/v1/env/...`). Each is policy-checked; all but status and audit reads are audited.
/// Work that writes the store runs on the thread pool.
struct AdminEndpoint: Sendable {
    let kms: KMS
    let ssm: SSM
    let leases: LeaseService
    let env: EnvironmentTokens
    let audit: AuditLog?
    let logging: CallLogging
    let authenticator: Authenticator
    let settings: ServerSettings
    let threadPool: NIOThreadPool
    let started: Double
    let clock: any WallClock
    let store: SQLiteStore?

    /// The most audit lines one `GET /v1/audit` returns.
    static let maxAuditLines = 1000

    func handle(_ request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult {
        var context: RequestContext
        do {
            context = try authenticator.native(request)
        } catch {
            return .now(error.response)
        }
        let method = request.head.method
        switch (method, request.path) {
        case (.GET, "/v1/status"):
            context.action = "admin:Status"
            context = traced(context, audited: false)
            return .now(respond(context, audited: false) { () throws(SealboxError) in try status(context) })
        case (.GET, "/v1/audit"):
            context.action = "admin:ReadAudit"
            context = traced(context, audited: false)
            return .now(
                respond(context, audited: false) { () throws(SealboxError) in try auditLines(request, context) })
        case (.POST, "/v1/audit/verify"):
            context.action = "admin:VerifyAudit"
            let verifying = traced(context, audited: false)
            return later(on: eventLoop) {
                respond(verifying, audited: false) { () throws(SealboxError) in try verify(verifying) }
            }
        case (.POST, "/v1/keys/rewrap"):
            context.action = "admin:RewrapKeys"
            let body = decode(RewrapRequest.self, request)
            let rewrapping = audited(context)
            return later(on: eventLoop) {
                respond(rewrapping, audited: true) { () throws(SealboxError) in
                    let body = try body.get()
                    let limit = min(max(body.limit ?? 500, 1), 10_000)
                    return NativeJSON.encode(try ssm.rewrap(key: body.keyId, limit: limit, context: rewrapping))
                }
            }
        case (.POST, "/v1/keys/retire"):
            context.action = "admin:RetireKeyVersions"
            let body = decode(RetireRequest.self, request)
            let retiring = audited(context)
            return later(on: eventLoop) {
                respond(retiring, audited: true) { () throws(SealboxError) in
                    let body = try body.get()
                    guard let keyId = body.keyId, let below = body.belowVersion, below >= 1 else {
                        throw SealboxError.validation("Send {\"keyId\": \"...\", \"belowVersion\": N} with N >= 1.")
                    }
                    let arn = try kms.retire(
                        keyId, below: UInt32(clamping: below), stillNeeded: ssm.dataKeys(of:below:), context: retiring)
                    return NativeJSON.encode(Retired(keyArn: arn, minDecryptionVersion: below))
                }
            }
        case (.GET, "/v1/backup"):
            context.action = "admin:Backup"
            let backingUp = audited(context)
            return later(on: eventLoop) { backup(backingUp) }
        case (.POST, "/v1/root/rotate"):
            context.action = "admin:RotateRootKey"
            let rotating = audited(context)
            return later(on: eventLoop) {
                respond(rotating, audited: true) { () throws(SealboxError) in try rotateRoot(rotating) }
            }
        case (.POST, "/v1/env/encrypt"):
            context.action = "env:Encrypt"
            let body = decode(EnvRequest.self, request)
            let encrypting = audited(context)
            // May create the default env key on first use: a write.
            return later(on: eventLoop) {
                respond(encrypting, audited: true) { () throws(SealboxError) in
                    let body = try body.get()
                    guard let name = body.name, let value = body.value else {
                        throw SealboxError.validation("Send {\"name\": \"VAR\", \"value\": \"...\"}.")
                    }
                    let token = try env.encrypt(
                        name: name, value: SecureBytes(copying: Array(value.utf8)), keyReference: body.keyId,
                        fernet: body.fernet ?? false, context: encrypting)
                    return NativeJSON.encode(["name": name, "token": token])
                }
            }
        case (.POST, "/v1/env/decrypt"):
            context.action = "env:Decrypt"
            let decrypting = audited(context)
            return .now(
                respond(decrypting, audited: true) { () throws(SealboxError) in
                    let body = try decode(EnvRequest.self, request).get()
                    guard let name = body.name, let token = body.token else {
                        throw SealboxError.validation("Send {\"name\": \"VAR\", \"token\": \"sealbox:v1:...\"}.")
                    }
                    let value = try env.decrypt(name: name, token: token, keyReference: body.keyId, context: decrypting)
                    var json = SensitiveJSON()
                    json.string("name", name)
                    json.secretString("value", value)
                    return json.render()
                })
        case (.POST, "/v1/env/rewrap"):
            context.action = "env:Encrypt"
            let rewrapping = audited(context)
            return .now(
                respond(rewrapping, audited: true) { () throws(SealboxError) in
                    let body = try decode(EnvRequest.self, request).get()
                    guard let name = body.name, let token = body.token else {
                        throw SealboxError.validation("Send {\"name\": \"VAR\", \"token\": \"sealbox:v1:...\"}.")
                    }
                    let rewrapped = try env.rewrap(name: name, token: token, context: rewrapping)
                    return NativeJSON.encode(EnvRewrapped(name: name, token: rewrapped, changed: rewrapped != token))
                })
        default:
            return .now(
                .error(.notFound, code: "NotFound", message: "no endpoint \(method.rawValue) \(request.path)"))
        }
    }

    private func audited(_ context: RequestContext) -> RequestContext {
        traced(context, audited: true)
    }

    private func traced(_ context: RequestContext, audited: Bool) -> RequestContext {
        var context = context
        if logging.traces(audited: audited) { context.trail = AuditTrail() }
        return context
    }

    private func later(on eventLoop: any EventLoop, _ work: @escaping @Sendable () -> HTTPResponse) -> RouteResult {
        .offLoop(threadPool, eventLoop, work)
    }

    /// Runs `body`, maps AWS-style errors onto native JSON errors, and attaches the audit record.
    private func respond(
        _ context: RequestContext,
        audited: Bool,
        _ body: () throws(SealboxError) -> ResponseBody
    ) -> HTTPResponse {
        var response: HTTPResponse
        let result: String
        do {
            response = HTTPResponse(status: .ok, headers: .json, body: try body())
            result = "allowed"
        } catch {
            let status = Self.status(of: error)
            // The admin API names errors as the AWS APIs do, which its callers already know.
            let type = AWSError(error).type
            let message =
                error.message.isEmpty && error.code == .invalidCiphertext
                ? "The ciphertext or token does not open: tampered with, made for another name, or under a retired key version."
                : error.message
            response = .error(status, code: type, message: message)
            result = error.code == .accessDenied ? "denied" : "failed:\(type)"
        }
        response.operation = context.action
        if let trail = context.trail {
            response.audit = AuditEntry(
                context: context, trail: trail, result: result, logged: logging.audit && audited)
        }
        return response
    }

    private static func status(of error: SealboxError) -> HTTPResponseStatus {
        switch error.code {
        case .accessDenied: .forbidden
        case .notFound, .parameterNotFound: .notFound
        case .invalidState, .disabled: .conflict
        default: HTTPResponseStatus(statusCode: AWSError(error).httpStatus)
        }
    }

    private func decode<T: Decodable & Sendable>(_ type: T.Type, _ request: HTTPRequest) -> Result<T, SealboxError> {
        do {
            let body = request.body.isEmpty ? Array("{}".utf8) : request.body
            return .success(try JSONDecoder().decode(T.self, from: Data(body)))
        } catch {
            return .failure(SealboxError.validation("The body is not the JSON object this endpoint takes."))
        }
    }

    /// A new random root key; for a `file:` root key, staged beside the old file and installed once
    /// the store is re-wrapped. An ephemeral daemon's key lives in memory only.
    private func rotateRoot(_ context: RequestContext) throws(SealboxError) -> ResponseBody {
        try context.authorize([])
        guard settings.ephemeral || settings.rootKeyFile != nil else {
            throw SealboxError.invalidState(
                "This daemon's root key comes from \(settings.rootKeySource), which it cannot rewrite. Rotate it by hand: see Keys/README.md."
            )
        }
        let newRoot = SecureBytes.random(count: Envelope.keyLength)
        let file = settings.rootKeyFile
        do {
            let count = try kms.rotateRoot(
                to: newRoot,
                stage: { if let file { try RootKey.stageCandidate(newRoot, for: file) } },
                promote: { if let file { try RootKey.promoteCandidate(for: file) } })
            return NativeJSON.encode(RootRotated(versions: count, rootKey: file ?? "memory"))
        } catch {
            throw SealboxError.internalFailure(
                "The root key rotation did not complete. The daemon keeps serving, and at its next start it settles on whichever key opens the store."
            )
        }
    }

    /// `GET /v1/backup`: a consistent copy of the store (key material wrapped under the root key,
    /// never plaintext), taken online into a private temporary file and sent as the body.
    private func backup(_ context: RequestContext) -> HTTPResponse {
        var response = respond(context, audited: true) { () throws(SealboxError) in
            try context.authorize([])
            guard let store else { throw SealboxError.notFound("This daemon has no store to back up.") }
            let path = NSTemporaryDirectory() + "sealbox-backup-\(KeyID.random()).db"
            defer { unlink(path) }
            do {
                try store.backup(to: path)
                return .json(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            } catch {
                throw SealboxError.internalFailure("The backup failed: \(error)")
            }
        }
        if response.status == .ok {
            response.headers.replaceOrAdd(name: "Content-Type", value: "application/vnd.sqlite3")
        }
        return response
    }

    private struct RootRotated: Encodable {
        var versions: Int
        var rootKey: String
    }

    private func status(_ context: RequestContext) throws(SealboxError) -> ResponseBody {
        try context.authorize([])
        return NativeJSON.encode(
            Status(
                version: settings.version, uptimeSeconds: Int(clock.now() - started), ephemeral: settings.ephemeral,
                keys: kms.keyCount, parameters: ssm.parameterCount, leases: leases.activeCount,
                rootKey: settings.rootKeySource,
                audit: Status.Audit(
                    enabled: audit != nil, path: audit?.path ?? (audit == nil ? nil : "-"),
                    writeFailures: audit?.writeFailures ?? 0)))
    }

    private func verify(_ context: RequestContext) throws(SealboxError) -> ResponseBody {
        try context.authorize([])
        guard let audit else { throw SealboxError.notFound("This daemon keeps no audit log.") }
        let report: AuditVerifier.Report?
        do {
            report = try audit.verify()
        } catch {
            throw SealboxError.internalFailure("The audit log cannot be read.")
        }
        guard let report else {
            throw SealboxError.notFound("The audit log goes to standard error; it cannot be read back.")
        }
        return NativeJSON.encode(
            Verification(
                path: audit.path ?? "-", verified: report.verified, ok: report.problem == nil,
                problem: report.problem.map { Verification.Problem(line: $0.line, reason: $0.reason) }))
    }

    /// Complete lines of the audit log: `GET /v1/audit?offset=N&limit=M` reads forward from a byte
    /// offset; `GET /v1/audit?tail=L` reads the last L lines. `nextOffset` is where the next read
    /// starts (`--follow` polls with it); a line still being written waits for that next read.
    private func auditLines(_ request: HTTPRequest, _ context: RequestContext) throws(SealboxError) -> ResponseBody {
        try context.authorize([])
        guard let path = audit?.path else { throw SealboxError.notFound("This daemon keeps no readable audit log.") }
        let query = request.queryItems
        let tail = query["tail"].flatMap { Int($0) }.map { min(max($0, 1), Self.maxAuditLines) }
        let limit = min(max(query["limit"].flatMap { Int($0) } ?? 100, 1), Self.maxAuditLines)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SealboxError.internalFailure("The audit log cannot be read.")
        }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        // Records are well under 4 KiB, so a tail of L lines lies within the last L * 4 KiB.
        var start = tail.map { max(0, size - $0 * 4096) } ?? min(max(query["offset"].flatMap { Int($0) } ?? 0, 0), size)
        try? handle.seek(toOffset: UInt64(start))
        let chunk = Array((try? handle.read(upToCount: min(size - start, 4 << 20))) ?? Data())
        var lines = chunk.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        lines.removeLast()  // after the last newline: empty, or a record still being written
        if tail != nil, start > 0, !lines.isEmpty {
            start += lines.removeFirst().count + 1  // began mid-record
        }
        if let tail, lines.count > tail {
            start += lines.prefix(lines.count - tail).reduce(0) { $0 + $1.count + 1 }
            lines = Array(lines.suffix(tail))
        } else if tail == nil, lines.count > limit {
            lines = Array(lines.prefix(limit))
        }
        let next = start + lines.reduce(0) { $0 + $1.count + 1 }
        return NativeJSON.encode(
            AuditLines(lines: lines.map { String(decoding: $0, as: UTF8.self) }, nextOffset: next, size: size))
    }

    private struct RewrapRequest: Decodable, Sendable {
        var keyId: String?
        var limit: Int?
    }

    private struct RetireRequest: Decodable, Sendable {
        var keyId: String?
        var belowVersion: Int?
    }

    private struct EnvRequest: Decodable, Sendable {
        var name: String?
        var value: String?
        var token: String?
        var keyId: String?
        var fernet: Bool?
    }

    private struct EnvRewrapped: Encodable {
        var name: String
        var token: String
        var changed: Bool
    }

    private struct Retired: Encodable {
        var keyArn: String
        var minDecryptionVersion: Int
    }

    private struct Status: Encodable {
        struct Audit: Encodable {
            var enabled: Bool
            var path: String?
            var writeFailures: Int
        }
        var version: String
        var uptimeSeconds: Int
        var ephemeral: Bool
        var keys: Int
        var parameters: Int
        var leases: Int
        var rootKey: String
        var audit: Audit
    }

    private struct Verification: Encodable {
        struct Problem: Encodable {
            var line: Int
            var reason: String
        }
        var path: String
        var verified: Int
        var ok: Bool
        var problem: Problem?
    }

    private struct AuditLines: Encodable {
        var lines: [String]
        var nextOffset: Int
        var size: Int
    }
}
