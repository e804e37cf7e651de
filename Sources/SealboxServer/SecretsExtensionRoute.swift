import NIOHTTP1
import SealboxAPI
import SealboxAWS
import SealboxCore

/// The Lambda extension's Secrets Manager API, so that existing handlers work unchanged:
/// `GET /secretsmanager/get?secretId=..&versionId=..&versionStage=..`, answered in the extension's
/// own form of GetSecretValue's JSON. It touches no disk.
struct SecretsExtensionRoute: Sendable {
    let secrets: SecretsManager

    /// The route: GetSecretValue's action, on the event loop, with AWS-shaped errors.
    var route: Route {
        Route(
            .GET, RoutePath(NativePath.extensionGetSecret), style: .aws, family: .extension,
            .native(SecretsManager.operations["GetSecretValue"]!.action, .resources, .eventLoop, get))
    }

    private func get(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        guard let id = request.queryItem("secretId"), !id.isEmpty else {
            throw AWSError.validation("The secretId query parameter is required.")
        }
        let body = try secrets.extensionResponse(
            id, versionID: request.queryItem("versionId"), stage: request.queryItem("versionStage"), context)
        return HTTPResponse(status: .ok, headers: .json, body: body)
    }
}
