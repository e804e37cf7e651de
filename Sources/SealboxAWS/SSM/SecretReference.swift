import SealboxCore
import SealboxCrypto

// `/aws/reference/secretsmanager/<id>` in GetParameter(s): a Secrets Manager secret read through
// Parameter Store, as AWS allows. The caller needs the SSM action on the reference name and
// `secretsmanager:GetSecretValue` on the secret.
extension SSM {
    static let secretReferencePrefix = "/aws/reference/secretsmanager/"

    /// Whether a name is a Secrets Manager reference; by bytes, as every GetParameter asks.
    static func isSecretReference(_ name: String) -> Bool {
        name.utf8.count > secretReferencePrefix.utf8.count && name.utf8.starts(with: secretReferencePrefix.utf8)
    }

    /// AWS's refusal of a reference read without `WithDecryption`.
    static let decryptionRequired = SealboxError.validation(
        "WithDecryption flag must be True for retrieving a Secret Manager secret.")

    private static let getSecretValue = SecretsManager.operations["GetSecretValue"]!.action

    /// The secret's value; a secret that does not exist is a parameter that does not.
    private static func read(
        _ secrets: SecretsManager, _ id: String, stage: String?, _ context: RequestContext, name: String
    ) throws(SealboxError) -> (secret: StoredSecret, version: SecretVersion, value: SecureBytes) {
        do {
            return try secrets.value(id, versionID: nil, stage: stage, context: context)
        } catch {
            if error.code == .resourceNotFound { throw SealboxError.parameterNotFound("Parameter \(name) not found.") }
            throw error
        }
    }

    /// A rendered body's bytes in guarded memory.
    private static func secureBytes(_ body: ResponseBody) -> SecureBytes {
        switch body {
        case .sensitive(let bytes): return bytes
        case .json(let bytes): return SecureBytes(copying: bytes)
        }
    }

    /// The `Parameter` object for a reference: the secret's value (AWSCURRENT, or the staging label
    /// a `:label` selector names) with GetSecretValue's answer in `SourceResult`.
    /// - Parameters:
    ///   - reference: the parsed name.
    ///   - decrypt: `WithDecryption`, which AWS requires for a secret.
    ///   - forExtension: the Lambda extension's form (members in name order, an ISO 8601 date).
    ///   - context: the caller.
    func secretReferenceJSON(
        _ reference: ParameterName.Reference, decrypt: Bool, forExtension: Bool = false, _ context: RequestContext
    ) throws -> SensitiveJSON {
        try context.authorize([reference.name])
        guard let secrets = secretsForReferences else {
            throw SealboxError.parameterNotFound("Parameter \(reference.name) not found.")
        }
        guard decrypt else {
            throw Self.decryptionRequired
        }
        var stage: String? = nil
        switch reference.selector {
        case .label(let label): stage = label
        case .version: throw SealboxError.validation("A secret reference takes a staging label, not a version number.")
        case nil: break
        }
        var reading = context
        reading.action = Self.getSecretValue
        let id = String(reference.name.utf8.dropFirst(Self.secretReferencePrefix.utf8.count))!
        let found = try Self.read(secrets, id, stage: stage, reading, name: reference.name)
        let source = SecretsManager.valueJSON(found.secret, found.version, found.value)
        let rendered = Self.secureBytes(source.render())
        var json = SensitiveJSON()
        if forExtension {
            json.string("ARN", found.secret.metadata.arn)
            json.string("DataType", "text")
            json.string("LastModifiedDate", ISOTimestamp.milliseconds(found.version.created))
            json.string("Name", reference.name)
            if let selector = reference.selector {
                json.string("Selector", selector.text)
            } else {
                json.null("Selector")
            }
            json.secretString("SourceResult", rendered)
            json.string("Type", ParameterType.secureString.rawValue)
            if found.version.binary { json.null("Value") } else { json.secretString("Value", found.value) }
            json.number("Version", 0)
            return json
        }
        json.string("Name", reference.name)
        json.string("Type", ParameterType.secureString.rawValue)
        if found.version.binary { json.base64("Value", found.value) } else { json.secretString("Value", found.value) }
        json.number("Version", 0)
        if let selector = reference.selector { json.string("Selector", selector.text) }
        json.secretString("SourceResult", rendered)
        json.number("LastModifiedDate", found.version.created)
        json.string("ARN", found.secret.metadata.arn)
        json.string("DataType", "text")
        return json
    }
}
