import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAPI
import SealboxAWS
import SealboxCore
import SealboxCrypto
import SealboxStore

/// Sealbox's own admin and handler endpoints beyond leases: `GET /v1/status`, key rewrap and
/// retirement (`/v1/keys/...`), the audit log (`/v1/audit...`), backup, root key rotation and
/// encrypted environment variables (`/v1/env/...`). Each is policy-checked; all but status and
/// audit reads are audited. Work that writes the store or reads files runs on the thread pool.
struct AdminRoutes: Sendable {
    let kms: KMS
    let ssm: SSM
    let secrets: SecretsManager?
    let leases: LeaseService
    let env: EnvironmentTokens
    let audit: AuditLog?
    let settings: ServerSettings
    let started: Double
    let clock: any WallClock
    let store: (any SealboxStorage)?
    let storeStatus: StoreStatus?

    /// The most audit lines one `GET /v1/audit` returns.
    static let maxAuditLines = 1000

    /// The routes, each with its action.
    var routes: [Route] {
        let group = RouteGroup(style: .admin, family: .admin, policy: .action)
        return [
            group.route(.GET, RoutePath(NativePath.status), .status, .eventLoop) { _, _ in .json(.ok, status()) },
            group.route(.GET, RoutePath(NativePath.audit), .readAudit, .threadPool, auditLines),
            group.route(.POST, RoutePath(NativePath.auditVerify), .verifyAudit, .threadPool) { _, _ in try verify()
            },
            group.route(
                .POST, RoutePath(NativePath.rewrapKeys), .rewrapKeys, policy: .resources, .write, rewrapKeys),
            group.route(
                .POST, RoutePath(NativePath.retireKeyVersions), .retireKeyVersions, policy: .resources, .write,
                retireKeyVersions),
            group.route(.GET, RoutePath(NativePath.backup), .backup, .threadPool) { _, _ in try backup() },
            group.route(.POST, RoutePath(NativePath.rotateRootKey), .rotateRootKey, .write) { _, _ in
                try rotateRoot()
            },
            // May create the default env key on first use: a write.
            group.route(
                .POST, RoutePath(NativePath.envEncrypt), .encryptEnv, policy: .resources, .write, encryptEnv),
            group.route(
                .POST, RoutePath(NativePath.envDecrypt), .decryptEnv, policy: .resources, .eventLoop, decryptEnv),
            group.route(.POST, RoutePath(NativePath.envRewrap), .encryptEnv, policy: .resources, .eventLoop, rewrapEnv),
        ]
    }

    private func rewrapKeys(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(RewrapRequest.self, request)
        let limit = min(max(body.limit ?? 500, 1), 10_000)
        let progress = try ssm.rewrap(key: body.keyId, limit: limit, context: context)
        return .json(
            .ok, RewrapBatch(rewrapped: progress.rewrapped, remaining: progress.remaining, failed: progress.failed))
    }

    private func retireKeyVersions(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(RetireRequest.self, request)
        guard let keyId = body.keyId, let below = body.belowVersion, below >= 1 else {
            throw SealboxError.validation("Send {\"keyId\": \"...\", \"belowVersion\": N} with N >= 1.")
        }
        let arn = try kms.retire(
            keyId, below: UInt32(clamping: below), stillNeeded: ssm.dataKeys(of:below:), context: context)
        return .json(.ok, RetiredVersions(keyArn: arn, minDecryptionVersion: below))
    }

    private func encryptEnv(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(EnvRequest.self, request)
        guard let name = body.name, let value = body.value else {
            throw SealboxError.validation("Send {\"name\": \"VAR\", \"value\": \"...\"}.")
        }
        let token = try env.encrypt(
            name: name, value: SecureBytes(copying: Array(value.utf8)), keyReference: body.keyId,
            fernet: body.fernet ?? false, context: context)
        return .json(.ok, EnvToken(name: name, token: token))
    }

    private func decryptEnv(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(EnvRequest.self, request)
        guard let name = body.name, let token = body.token else {
            throw SealboxError.validation("Send {\"name\": \"VAR\", \"token\": \"sealbox:v1:...\"}.")
        }
        let value = try env.decrypt(name: name, token: token, keyReference: body.keyId, context: context)
        var json = SensitiveJSON()
        json.string("name", name)
        json.secretString(EnvValue.valueMember, value)
        return HTTPResponse(status: .ok, headers: .json, body: json.render())
    }

    private func rewrapEnv(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let body = try decode(EnvRequest.self, request)
        guard let name = body.name, let token = body.token else {
            throw SealboxError.validation("Send {\"name\": \"VAR\", \"token\": \"sealbox:v1:...\"}.")
        }
        let rewrapped = try env.rewrap(name: name, token: token, context: context)
        return .json(.ok, EnvRewrapped(name: name, token: rewrapped, changed: rewrapped != token))
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: HTTPRequest) throws(SealboxError) -> T {
        do {
            let body = request.body.isEmpty ? Array("{}".utf8) : request.body
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw SealboxError.validation("The body is not the JSON object this endpoint takes.")
        }
    }

    /// A new random root key; for a `file:` root key, staged beside the old file and installed once
    /// the store is re-wrapped. An ephemeral daemon's key lives in memory only.
    private func rotateRoot() throws(SealboxError) -> HTTPResponse {
        // Every daemon of a fleet holds the root key: one of them cannot replace it for the others.
        guard !(store is any SharedStore) else {
            throw SealboxError.invalidState(
                "This daemon shares its store with others, which hold the same root key: rotating it here would lock them out. Stop the fleet and rotate it as docs/operations.md describes."
            )
        }
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
            return .json(.ok, RootRotation(versions: count, rootKey: file ?? "memory"))
        } catch {
            throw SealboxError.internalFailure(
                "The root key rotation did not complete. The daemon keeps serving, and at its next start it settles on whichever key opens the store."
            )
        }
    }

    /// `GET /v1/backup`: a consistent copy of the store (key material wrapped under the root key,
    /// never plaintext), taken online into a private temporary file and sent as the body.
    private func backup() throws(SealboxError) -> HTTPResponse {
        guard let store else { throw SealboxError.notFound("This daemon has no store to back up.") }
        guard let store = store as? SQLiteStore else {
            throw SealboxError.unsupportedOperation(
                "This daemon's store is PostgreSQL: back it up with pg_dump, which holds only envelopes.")
        }
        let path = NSTemporaryDirectory() + "sealbox-backup-\(KeyID.random()).db"
        defer { unlink(path) }
        do {
            try store.backup(to: path)
            let copy = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/vnd.sqlite3"], body: .json(copy))
        } catch {
            throw SealboxError.internalFailure("The backup failed: \(error)")
        }
    }

    private func status() -> StatusResponse {
        StatusResponse(
            version: settings.version, uptimeSeconds: Int(clock.now() - started), ephemeral: settings.ephemeral,
            keys: kms.keyCount, parameters: ssm.parameterCount, secrets: secrets?.secretCount,
            leases: leases.activeCount,
            rootKey: settings.rootKeySource, store: settings.storeLocation,
            storeHealth: storeStatus?.degradedReason.map { "degraded: \($0)" } ?? "ok",
            audit: StatusResponse.Audit(
                enabled: audit != nil, path: audit?.path ?? (audit == nil ? nil : "-"),
                writeFailures: audit?.writeFailures ?? 0))
    }

    private func verify() throws(SealboxError) -> HTTPResponse {
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
        func wire(_ problem: AuditVerifier.Problem) -> AuditVerification.Problem {
            AuditVerification.Problem(
                line: problem.line, reason: problem.reason, kind: problem.kind.rawValue, failure: problem.isFailure,
                verifiedBefore: problem.verifiedBefore)
        }
        return .json(
            .ok,
            AuditVerification(
                path: audit.path ?? "-", verified: report.verified, ok: report.problem == nil,
                problem: report.problem.map(wire), problems: report.problems.map(wire), records: report.records))
    }

    /// Complete lines of the audit log: `GET /v1/audit?offset=N&limit=M` reads forward from a byte
    /// offset; `GET /v1/audit?tail=L` reads the last L lines. `nextOffset` is where the next read
    /// starts (`--follow` polls with it); a line still being written waits for that next read.
    private func auditLines(_ request: HTTPRequest, _ context: RequestContext) throws(SealboxError) -> HTTPResponse {
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
        return .json(
            .ok,
            AuditPage(lines: lines.map { String(decoding: $0, as: UTF8.self) }, nextOffset: next, size: size))
    }
}
