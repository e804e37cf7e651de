import SealboxCore

extension SecretsManager {
    /// GetSecretValue's answer in the Secrets Manager Agent's form: `ARN`, `Name`, `VersionId`, the
    /// one of `SecretString` and `SecretBinary` the version holds (the other left out, not null),
    /// `VersionStages` and `CreatedDate` as a string of epoch seconds (`"1569534789.046"`).
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - versionID: the version, if named.
    ///   - stage: the staging label, if named.
    ///   - context: the caller.
    public func agentResponse(_ id: String, versionID: String?, stage: String?, _ context: RequestContext)
        throws -> ResponseBody
    {
        let (secret, version, value) = try self.value(id, versionID: versionID, stage: stage, context: context)
        var json = SensitiveJSON()
        json.string("ARN", secret.metadata.arn)
        json.string("Name", secret.name)
        json.string("VersionId", version.id)
        if version.binary {
            json.base64("SecretBinary", value)
        } else {
            json.secretString("SecretString", value)
        }
        json.strings("VersionStages", version.stages)
        json.string("CreatedDate", Self.agentSeconds(version.created))
        return json.render()
    }

    /// Epoch seconds as the agent writes them: to the millisecond, as Secrets Manager sends them to
    /// it, in the shortest decimal that reads back as the same double, with no `.0` on a whole second.
    /// - Parameter epoch: seconds since 1970.
    static func agentSeconds(_ epoch: Double) -> String {
        let text = ((epoch * 1000).rounded(.down) / 1000).description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
