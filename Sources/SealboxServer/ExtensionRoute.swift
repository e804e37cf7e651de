import NIOHTTP1
import SealboxAPI
import SealboxAWS
import SealboxCore

/// The AWS Parameters and Secrets Lambda Extension's API, so that existing handlers work unchanged:
/// `GET /systemsmanager/parameters/get?name=..&version=..|label=..&withDecryption=true`, answered
/// with GetParameter's JSON plus `ResultMetadata`, as the extension does. It touches no disk.
struct ExtensionRoute: Sendable {
    let ssm: SSM

    /// The route: GetParameter's action, on the event loop, with AWS-shaped errors.
    var route: Route {
        Route(
            .GET, RoutePath(NativePath.extensionGetParameter), style: .aws, family: .extension,
            .native(SSM.operations["GetParameter"]!.action, .resources, .eventLoop, get))
    }

    private func get(_ request: HTTPRequest, _ context: RequestContext) throws -> HTTPResponse {
        guard var name = request.queryItem("name"), !name.isEmpty else {
            throw AWSError.validation("The name query parameter is required.")
        }
        switch (request.queryItem("version"), request.queryItem("label")) {
        case (.some, .some): throw AWSError.validation("Send version or label, not both.")
        case (.some(let version), nil): name += ":" + version
        case (nil, .some(let label)): name += ":" + label
        case (nil, nil): break
        }
        let decrypt = request.queryItem("withDecryption")?.lowercased() == "true"
        let body = try ssm.parameterResponse(name, decrypt: decrypt, forExtension: true, context)
        return HTTPResponse(status: .ok, headers: .json, body: body)
    }
}
