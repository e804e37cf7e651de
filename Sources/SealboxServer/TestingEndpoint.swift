import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// Test-suite endpoints: call recording (`/v1/test/calls`, ephemeral only), the handler hygiene scan
/// (`POST /v1/test/inspect`, ephemeral only) and fixtures (`POST /v1/fixtures` imports anywhere;
/// `GET /v1/fixtures` exports, with plaintext values and key material, from an ephemeral daemon only).
struct TestingEndpoint: Sendable {
    let kms: KMS
    let ssm: SSM
    let recorder: CallRecorder?
    let authenticator: Authenticator
    let settings: ServerSettings
    let threadPool: NIOThreadPool

    func handle(_ request: HTTPRequest, on eventLoop: any EventLoop) -> RouteResult {
        var context: RequestContext
        do {
            context = try authenticator.native(request)
        } catch {
            return .now(error.response)
        }
        switch (request.head.method, request.path) {
        case (.GET, "/v1/test/calls"):
            context.action = "admin:ReadCalls"
            // Off the event loop: a full record (100,000 calls) is 20 MB of JSON and a second to encode.
            let checked = context
            return later(on: eventLoop) {
                run(checked) { () throws(NativeError) in
                    HTTPResponse(status: .ok, headers: .json, body: .json(try requireRecorder().json))
                }
            }
        case (.DELETE, "/v1/test/calls"):
            context.action = "admin:ClearCalls"
            return .now(
                run(context) { () throws(NativeError) in
                    try requireRecorder().clear()
                    return HTTPResponse(status: .noContent, body: .json([]))
                })
        case (.POST, "/v1/test/inspect"):
            context.action = "admin:Inspect"
            let checked = context
            return later(on: eventLoop) {
                run(checked) { () throws(NativeError) in try inspect(request, checked) }
            }
        case (.POST, "/v1/fixtures"):
            context.action = "admin:ImportFixtures"
            let checked = context
            return later(on: eventLoop) {
                run(checked) { () throws(NativeError) in
                    let fixtures: Fixtures
                    do {
                        fixtures = try Fixtures.parse(String(decoding: request.body, as: UTF8.self), origin: "request")
                        let report = try fixtures.apply(
                            kms: kms, ssm: ssm, context: unrestricted(checked), origin: "request")
                        return .json(.ok, report)
                    } catch let error as SetupError {
                        throw NativeError.badRequest(error.description)
                    } catch {
                        throw NativeError.badRequest("the fixtures could not be applied: \(error)")
                    }
                }
            }
        case (.GET, "/v1/fixtures"):
            context.action = "admin:ExportFixtures"
            let checked = context
            return .now(
                run(checked) { () throws(NativeError) in
                    guard settings.ephemeral else {
                        throw NativeError(
                            status: .conflict, code: "NotEphemeral",
                            message:
                                "Only an ephemeral daemon exports fixtures: they hold plaintext values and key material."
                        )
                    }
                    let json = request.queryItems["format"] == "json"
                    do {
                        let export = try Fixtures.export(
                            kms: kms, ssm: ssm, context: unrestricted(checked), includeMaterial: true)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: json ? "application/json" : "application/yaml")
                        let text = try Fixtures.render(export, json: json)
                        return HTTPResponse(
                            status: .ok, headers: headers, body: .sensitive(SecureBytes(copying: Array(text.utf8))))
                    } catch {
                        throw NativeError(status: .internalServerError, code: "ExportFailed", message: "\(error)")
                    }
                })
        default:
            return .now(
                .error(
                    .notFound, code: "NotFound", message: "no endpoint \(request.head.method.rawValue) \(request.path)")
            )
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
        let recorder = try requireRecorder()
        struct Body: Decodable { var pid: Int32? }
        guard let pid = (try? JSONDecoder().decode(Body.self, from: Data(request.body)))?.pid, pid > 0 else {
            throw NativeError.badRequest("send {\"pid\": N}")
        }
        // The secrets served to this process, not to an earlier one that had its pid.
        let served = ProcFS.startTicks(of: pid).map { recorder.served(to: pid, startTime: $0) } ?? []
        let secrets = served.compactMap { $0.reveal(kms: kms, ssm: ssm, context: unrestricted(context)) }
        do {
            return .json(.ok, try ProcessInspector.scan(pid: pid, secrets: secrets))
        } catch let error as SetupError {
            throw NativeError(status: .unprocessableEntity, code: "CannotInspect", message: error.description)
        } catch {
            throw NativeError(status: .internalServerError, code: "CannotInspect", message: "\(error)")
        }
    }

    /// Checks the caller's grant for the action, then runs the work.
    private func run(_ context: RequestContext, _ work: () throws(NativeError) -> HTTPResponse) -> HTTPResponse {
        do {
            try context.authorize([])
        } catch {
            return .error(.forbidden, code: "AccessDenied", message: error.message)
        }
        do {
            return try work()
        } catch {
            return error.response
        }
    }

    private func later(on eventLoop: any EventLoop, _ work: @escaping @Sendable () -> HTTPResponse) -> RouteResult {
        .offLoop(threadPool, eventLoop, work)
    }
}
