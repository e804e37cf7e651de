import NIOCore
import NIOHTTP1
import SealboxAPI
import SealboxAWS
import SealboxCore
import SealboxCrypto

/// The AWS Secrets Manager Agent's own routes, so that handlers written for it work unchanged:
/// `GET /v1/{secretId}?versionId=..&versionStage=..&refreshNow=..`, answered in the agent's form of
/// GetSecretValue's JSON, and `GET /ping`, its health check, which takes no token. Its query form
/// is ``SecretsExtensionRoute``.
///
/// Sealbox's own paths under `/v1/` are literal and are matched first; the secret id is the rest of
/// the path, percent-decoded, so a secret named like one of them (`status`) is still reached with
/// one character escaped (`/v1/%73tatus`), or by the query form. It touches no disk.
struct SecretsAgentRoute: Sendable {
    let secrets: SecretsManager

    /// The path form's template; the agent's default `path_prefix` is `/v1/`.
    static let path = RoutePath("/v1/{secretId+}")
    /// Where the secret id starts in the path.
    private static let idOffset = path.restOffset

    /// The routes: the secret, GetSecretValue's action on the event loop, and the health check.
    var routes: [Route] {
        [
            Route(
                .GET, Self.path, style: .agent, family: .extension,
                .native(SecretsManager.operations["GetSecretValue"]!.action, .resources, .eventLoop, get)),
            Route(.GET, RoutePath(NativePath.agentPing), style: .agent, family: .extension, .open(Self.ping)),
        ]
    }

    private func get(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let encoded = request.path.utf8.dropFirst(Self.idOffset)
        let read: SecretRead
        do {
            read = try SecretRead(request, path: Self.decoded(encoded))
        } catch {
            throw AgentAnswer(.badRequest, error.message)
        }
        let body = try secrets.agentResponse(read.secretID, versionID: read.versionID, stage: read.stage, context)
        return HTTPResponse(status: .ok, headers: .json, body: body)
    }

    @Sendable private static func ping(_ request: HTTPRequest, _ eventLoop: any EventLoop) -> RouteResult {
        var response = AgentAnswer(.ok, "healthy").response
        response.family = .extension
        return .now(response)
    }

    /// `%XX` escapes decoded; unlike a query, `+` is itself (secret names may hold it).
    static func decoded(_ bytes: Substring.UTF8View) -> String {
        let out = [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, count in
            count = SigV4Verifier.percentDecode(bytes, into: buffer, plusIsSpace: false)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An answer in the Secrets Manager Agent's own words: a status and a plain-text body, as it
/// answers `/ping` (`200 healthy`) and refuses a missing or wrong token (`403 Bad Token`), a
/// proxied request (`400 Forwarded`) or a bad query (`400 unknown parameter: NAME`).
struct AgentAnswer: Error {
    let status: HTTPResponseStatus
    let text: String

    /// - Parameters:
    ///   - status: the status.
    ///   - text: the body.
    init(_ status: HTTPResponseStatus, _ text: String) {
        self.status = status
        self.text = text
    }

    /// The agent's form of an authentication refusal.
    /// - Parameter error: the refusal as native routes give it.
    init(_ error: NativeError) {
        if error == Authenticator.proxied {
            self.init(.badRequest, "Forwarded")
        } else {
            self.init(.forbidden, "Bad Token")
        }
    }

    var response: HTTPResponse {
        HTTPResponse(status: status, headers: Self.plainText, body: .json(Array(text.utf8)))
    }

    private static let plainText: HTTPHeaders = ["Content-Type": "text/plain; charset=utf-8"]
}
