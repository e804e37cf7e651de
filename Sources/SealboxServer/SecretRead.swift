/// What a read of a secret through the Lambda extension's or the Secrets Manager Agent's API asks
/// for, parsed once for both: the secret, and the version id or staging label (both may be given,
/// as GetSecretValue takes them). `refreshNow` is the agent's way to skip its cache: Sealbox keeps
/// none, so it is checked and has nothing to change.
struct SecretRead {
    /// What the agent refuses, in its own words.
    struct Problem: Error {
        let message: String
    }

    private static let pathNames: Set<String> = ["versionId", "versionStage", "refreshNow"]
    private static let queryNames = pathNames.union(["secretId"])

    let secretID: String
    let versionID: String?
    let stage: String?

    /// Parses the query of `request`, refusing names the agent does not know.
    /// - Parameters:
    ///   - request: the GET.
    ///   - path: the secret id from the path (`/v1/{secretId}`), already decoded; nil when the
    ///     query carries it as `secretId`.
    init(_ request: HTTPRequest, path: String?) throws(Problem) {
        let allowed = path == nil ? Self.queryNames : Self.pathNames
        let items = request.queryItems
        if let unknown = items.keys.lazy.filter({ !allowed.contains($0) }).min() {
            throw Problem(message: "unknown parameter: \(unknown)")
        }
        if let refresh = items["refreshNow"], !["true", "1", "false", "0"].contains(refresh.lowercased()) {
            throw Problem(message: "invalid refreshNow value")
        }
        guard let id = path ?? items["secretId"], !id.isEmpty else {
            throw Problem(message: path == nil ? "missing parameter secretId" : "missing secret ID")
        }
        secretID = id
        versionID = items["versionId"]
        stage = items["versionStage"]
    }
}
