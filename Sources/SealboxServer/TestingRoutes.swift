import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAPI
import SealboxAWS
import SealboxCore
import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Test-suite endpoints: call recording (`/v1/test/calls`, ephemeral only), the handler hygiene scan
/// (`POST /v1/test/inspect`, on any daemon) and fixtures (`POST /v1/fixtures` imports anywhere, but on
/// a persistent daemon audited and without key material or alias moves; `GET /v1/fixtures` exports,
/// with plaintext values and key material, from an ephemeral daemon only).
struct TestingRoutes: Sendable {
    let kms: KMS
    let ssm: SSM
    let secrets: SecretsManager?
    let recorder: CallRecorder?
    let served: ServedRecord?
    let settings: ServerSettings

    /// The routes, each with its action; the policy grants each as a whole.
    var routes: [Route] {
        let group = RouteGroup(style: .native, family: .admin, policy: .action)
        return [
            // A full record (100,000 calls) is 20 MB of JSON and a second to encode.
            group.route(.GET, RoutePath(NativePath.testCalls), .readCalls, .threadPool) { _, _ in
                HTTPResponse(status: .ok, headers: .json, body: .json(try requireRecorder().json))
            },
            group.route(.DELETE, RoutePath(NativePath.testCalls), .clearCalls, .eventLoop) { _, _ in
                try requireRecorder().clear()
                served?.clear()
                return HTTPResponse(status: .noContent, body: .json([]))
            },
            // A process's own user may inspect it without admin:Inspect, so the handler checks.
            RouteGroup(style: .native, family: .admin, policy: .resources).route(
                .POST, RoutePath(NativePath.testInspect), .inspect, .threadPool, inspect),
            // A persistent daemon holds real secrets: an import there is an audited write.
            settings.ephemeral
                ? group.route(.POST, RoutePath(NativePath.fixtures), .importFixtures, .threadPool, importFixtures)
                : group.route(.POST, RoutePath(NativePath.fixtures), .seedFixtures, .write, importFixtures),
            group.route(.GET, RoutePath(NativePath.fixtures), .exportFixtures, .eventLoop, exportFixtures),
        ]
    }

    private func importFixtures(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        do {
            let fixtures = try Fixtures.parse(String(decoding: request.body, as: UTF8.self), origin: "request")
            var applying = unrestricted(context)
            applying.trail = context.trail
            let report = try fixtures.apply(
                kms: kms, ssm: ssm, secrets: secrets, context: applying, origin: "request",
                persistent: !settings.ephemeral)
            return .json(
                .ok,
                FixturesApplied(
                    keysCreated: report.keysCreated, keysChanged: report.keysChanged,
                    parametersWritten: report.parametersWritten, labelsMoved: report.labelsMoved,
                    secretsWritten: report.secretsWritten))
        } catch let error as SetupError {
            throw NativeError.badRequest(error.description)
        } catch {
            throw NativeError.badRequest("the fixtures could not be applied: \(error)")
        }
    }

    private func exportFixtures(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        guard settings.ephemeral else {
            throw NativeError(
                status: .conflict, code: "NotEphemeral",
                message: "Only an ephemeral daemon exports fixtures: they hold plaintext values and key material.")
        }
        let json = request.queryItems["format"] == "json"
        do {
            let export = try Fixtures.export(
                kms: kms, ssm: ssm, secrets: secrets, context: unrestricted(context),
                includeMaterial: true)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: json ? "application/json" : "application/yaml")
            let text = try Fixtures.render(export, json: json)
            return HTTPResponse(status: .ok, headers: headers, body: .sensitive(SecureBytes(copying: Array(text.utf8))))
        } catch {
            throw NativeError(status: .internalServerError, code: "ExportFailed", message: "\(error)")
        }
    }

    private func requireRecorder() throws(NativeError) -> CallRecorder {
        guard let recorder else {
            throw NativeError(
                status: .notFound, code: "NotFound", message: "Call recording exists only with --ephemeral.")
        }
        return recorder
    }

    /// A context with every right, for work the caller's own grant (checked first) covers.
    private func unrestricted(_ context: RequestContext) -> RequestContext {
        RequestContext(region: context.region, accountID: context.accountID, principal: context.principal)
    }

    private func inspect(_ request: HTTPRequest, _ context: RequestContext) throws(NativeError) -> HTTPResponse {
        guard let pid = (try? JSONDecoder().decode(InspectRequest.self, from: Data(request.body)))?.pid, pid > 0 else {
            throw NativeError.badRequest("send {\"pid\": N}")
        }
        var info = stat()
        guard let startTime = ProcFS.startTicks(of: pid), stat("/proc/\(pid)", &info) == 0 else {
            throw NativeError(status: .notFound, code: "NoSuchProcess", message: "no process \(pid) is running")
        }
        let ownProcess: Bool
        if case .process(_, let uid, _, _) = context.principal {
            ownProcess = uid == info.st_uid
        } else {
            ownProcess = false
        }
        if !ownProcess {
            do {
                try context.authorize([])
            } catch {
                throw NativeError(error)
            }
        }
        // The secrets served to this process, not to an earlier one that had its pid.
        let served = self.served?.served(to: pid, startTime: startTime) ?? []
        let revealed = served.compactMap { $0.reveal(kms: kms, ssm: ssm, context: unrestricted(context)) }
        do {
            let report = try ProcessInspector.scan(pid: pid, secrets: revealed)
            return .json(
                .ok,
                InspectionReport(
                    pid: report.pid,
                    findings: report.findings.map {
                        InspectionReport.Finding(secret: $0.secret, location: $0.location, form: $0.form)
                    },
                    skipped: report.skipped, secretsChecked: report.secretsChecked, bytesScanned: report.bytesScanned))
        } catch let error as SetupError {
            throw NativeError(status: .unprocessableEntity, code: "CannotInspect", message: error.description)
        } catch {
            throw NativeError(status: .internalServerError, code: "CannotInspect", message: "\(error)")
        }
    }
}
