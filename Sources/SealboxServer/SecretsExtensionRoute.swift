import NIOHTTP1
import SealboxAPI
import SealboxAWS
import SealboxCore

/// The Lambda extension's Secrets Manager API, so that existing handlers work unchanged:
/// `GET /secretsmanager/get?secretId=..&versionId=..&versionStage=..`, answered in the extension's
/// own form of GetSecretValue's JSON. The Secrets Manager Agent serves the same query (with its
/// `refreshNow`); its path form is ``SecretsAgentRoute``. It touches no disk.
struct SecretsExtensionRoute: Sendable {
    let secrets: SecretsManager

    /// The route: GetSecretValue's action, on the event loop, with AWS-shaped errors.
    var route: Route {
        Route(
            .GET, RoutePath(NativePath.extensionGetSecret), style: .aws, family: .extension,
            .native(SecretsManager.operations["GetSecretValue"]!.action, .resources, .eventLoop, get))
    }

    private func get(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        let read: SecretRead
        do {
            read = try SecretRead(request, path: nil)
        } catch {
            throw AWSError.validation(error.message)
        }
        let body = try secrets.extensionResponse(
            read.secretID, versionID: read.versionID, stage: read.stage, context)
        return HTTPResponse(status: .ok, headers: .json, body: body)
    }
}
