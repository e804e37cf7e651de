import Foundation
import SealboxCore
import SealboxCrypto

// The Secrets Manager operations: decode, validate as the model and AWS's documentation say, act,
// encode. Values are answered through SensitiveJSON, from guarded memory.
extension SecretsManager {
    func createSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(CreateSecretRequest.self, from: body)
        var validator = Validator()
        validator.required(request.name, "name")
        validator.length(request.name, "name", min: 1, max: 512)
        validator.length(request.clientRequestToken, "clientRequestToken", min: 32, max: 64)
        validator.length(request.description, "description", max: 2048)
        validator.length(request.kmsKeyId, "kmsKeyId", max: 2048)
        let tags = Self.tags(request.tags, &validator)
        let value = try Self.value(string: request.secretString, binary: request.secretBinary, &validator)
        let replicas = Self.replicaRegions(request.addReplicaRegions, required: false, &validator)
        try validator.check()
        let name = request.name!
        guard Self.isValidName(name) else {
            throw SealboxError.invalidParameter(
                "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
            )
        }
        let (secret, version) = try create(
            name: name, description: request.description, kmsKeyId: request.kmsKeyId, value: value,
            token: request.clientRequestToken, tags: tags, replicas: replicas,
            overwriteReplicas: request.forceOverwriteReplicaSecret == true, context: context)
        var json = Self.named(secret)
        if let version { json.string("VersionId", version.id) }
        if let replicas = secret.metadata.replicas { json.objects("ReplicationStatus", replicas.map(Self.status)) }
        return json.render()
    }

    func getSecretValue(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretIdRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.length(request.versionId, "versionId", min: 32, max: 64)
        validator.length(request.versionStage, "versionStage", min: 1, max: 256)
        try validator.check()
        let (secret, version, value) = try self.value(
            request.secretId!, versionID: request.versionId, stage: request.versionStage, context: context)
        return Self.valueJSON(secret, version, value).render()
    }

    /// GetSecretValue's answer, which BatchGetSecretValue and a Parameter Store reference repeat.
    static func valueJSON(_ secret: StoredSecret, _ version: SecretVersion, _ value: SecureBytes) -> SensitiveJSON {
        var json = Self.named(secret)
        json.string("VersionId", version.id)
        if version.binary { json.base64("SecretBinary", value) } else { json.secretString("SecretString", value) }
        json.strings("VersionStages", version.stages)
        json.number("CreatedDate", version.created)
        return json
    }

    func putSecretValue(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(PutSecretValueRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.length(request.clientRequestToken, "clientRequestToken", min: 32, max: 64)
        validator.count(request.versionStages, "versionStages", min: 1, max: 20)
        if let stages = request.versionStages {
            for (index, stage) in stages.enumerated() {
                validator.length(stage, "versionStages.\(index + 1).member", min: 1, max: 256)
            }
        }
        let value = try Self.value(string: request.secretString, binary: request.secretBinary, &validator)
        try validator.check()
        guard let value else {
            throw SealboxError.invalidRequest("You must provide either SecretString or SecretBinary.")
        }
        let (secret, version) = try putValue(
            request.secretId!, value: value, token: request.clientRequestToken, stages: request.versionStages,
            context: context)
        var json = Self.named(secret)
        json.string("VersionId", version.id)
        json.strings("VersionStages", version.stages)
        return json.render()
    }

    func describeSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretIdRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        try validator.check()
        let secret = try existing(request.secretId!, context)
        var json = Self.describe(secret, stagesField: "VersionIdsToStages")
        if secret.metadata.rotation == nil { json.bool("RotationEnabled", false) }
        return json.render()
    }

    func listSecrets(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListSecretsRequest.self, from: body)
        var validator = Validator()
        validator.range(request.maxResults, "maxResults", min: 1, max: 100)
        validator.oneOf(request.sortOrder, "sortOrder", ["asc", "desc"])
        Self.checkFilters(request.filters, &validator)
        try validator.check()
        try context.authorize([])
        let descending = request.sortOrder == "desc"
        let (secrets, key) = listed(
            request.filters ?? [], includingPlannedDeletion: request.includePlannedDeletion == true,
            descending: descending, context)
        guard
            let (chosen, next) = PageToken.page(
                secrets, sortKey: key, after: request.nextToken, limit: request.maxResults ?? 100,
                scope: "secretsmanager.listSecrets")
        else {
            throw SealboxError.invalidParameter("The NextToken is not valid.")
        }
        var json = SensitiveJSON()
        json.objects("SecretList", chosen.map { Self.describe($0, stagesField: "SecretVersionsToStages") })
        if let next { json.string("NextToken", next) }
        return json.render()
    }

    func deleteSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(DeleteSecretRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        try validator.check()
        let (secret, date) = try delete(
            request.secretId!, recoveryDays: request.recoveryWindowInDays,
            force: request.forceDeleteWithoutRecovery == true, context: context)
        var json = Self.named(secret)
        json.number("DeletionDate", date)
        return json.render()
    }

    func restoreSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretIdRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        try validator.check()
        let secret = try restore(request.secretId!, context: context)
        return Self.named(secret).render()
    }

    /// The caller's secrets that pass every filter, by creation date, and the page key they are
    /// sorted by (a tie of dates goes by name), which the next page's token resumes after.
    func listed(
        _ filters: [SecretsFilter], includingPlannedDeletion: Bool, descending: Bool, _ context: RequestContext
    ) -> (secrets: [StoredSecret], key: (StoredSecret) -> String) {
        let key = { (secret: StoredSecret) in
            String(format: "%020.6f", descending ? 1e12 - secret.metadata.created : secret.metadata.created)
                + secret.name
        }
        let matches = secrets.values.filter { secret in
            secret.scope == context.scope && (includingPlannedDeletion || secret.metadata.deletionDate == nil)
                && filters.allSatisfy { Self.matches(secret, $0) }
        }
        return (matches.map { (key($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1), key)
    }

    /// DescribeSecret's fields, which a ListSecrets entry shares (under another name for the stages).
    static func describe(_ secret: StoredSecret, stagesField: String) -> SensitiveJSON {
        var json = Self.named(secret)
        if let description = secret.metadata.description { json.string("Description", description) }
        if let key = secret.metadata.kmsKeyId { json.string("KmsKeyId", key) }
        json.number("LastChangedDate", secret.metadata.lastChanged)
        if let date = secret.metadata.deletionDate { json.number("DeletedDate", date) }
        if let replicas = secret.metadata.replicas, !replicas.isEmpty {
            json.objects("ReplicationStatus", replicas.map(Self.status))
        }
        if let primary = secret.metadata.primaryRegion { json.string("PrimaryRegion", primary) }
        if let rotation = secret.metadata.rotation {
            json.bool("RotationEnabled", rotation.enabled)
            json.string("RotationLambdaARN", rotation.lambdaARN)
            if let schedule = rotation.schedule {
                var rules = SensitiveJSON()
                if let days = schedule.automaticallyAfterDays { rules.number("AutomaticallyAfterDays", days) }
                if let duration = schedule.duration { rules.string("Duration", duration) }
                if let expression = schedule.scheduleExpression { rules.string("ScheduleExpression", expression) }
                json.object("RotationRules", rules)
            }
            if let date = rotation.lastRotated { json.number("LastRotatedDate", date) }
            if let date = rotation.nextRotation, rotation.enabled { json.number("NextRotationDate", date) }
        }
        json.objects(
            "Tags",
            secret.metadata.tags.map { tag in
                var json = SensitiveJSON()
                json.string("Key", tag.key)
                json.string("Value", tag.value)
                return json
            })
        var stages = SensitiveJSON()
        for version in secret.versions where !version.stages.isEmpty { stages.strings(version.id, version.stages) }
        json.object(stagesField, stages)
        json.number("CreatedDate", secret.metadata.created)
        return json
    }

    /// Whether a secret passes a ListSecrets filter: a value matches as a prefix, and a value that
    /// starts with `!` excludes what it would match.
    static func matches(_ secret: StoredSecret, _ filter: SecretsFilter) -> Bool {
        let fields: [String]
        switch filter.key {
        case "name": fields = [secret.name]
        case "description": fields = [secret.metadata.description ?? ""]
        case "tag-key": fields = secret.metadata.tags.map(\.key)
        case "tag-value": fields = secret.metadata.tags.map(\.value)
        case "primary-region": fields = [secret.metadata.primaryRegion ?? secret.scope.region]
        case "owning-service": fields = []
        default:
            fields =
                [secret.name, secret.metadata.description ?? ""] + secret.metadata.tags.flatMap { [$0.key, $0.value] }
        }
        let values = filter.values ?? []
        let wanted = values.filter { !$0.hasPrefix("!") }
        let unwanted = values.filter { $0.hasPrefix("!") }.map { String($0.dropFirst()) }
        if unwanted.contains(where: { value in fields.contains { $0.hasPrefix(value) } }) { return false }
        return wanted.isEmpty || wanted.contains { value in fields.contains { $0.hasPrefix(value) } }
    }

    /// `{"ARN", "Name"}`, which most answers about one secret start with.
    static func named(_ secret: StoredSecret) -> SensitiveJSON {
        var json = SensitiveJSON()
        json.string("ARN", secret.metadata.arn)
        json.string("Name", secret.name)
        return json
    }

    /// ListSecrets' and BatchGetSecretValue's `Filters`, as the model constrains them.
    static func checkFilters(_ filters: [SecretsFilter]?, _ validator: inout Validator) {
        let keys = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"]
        validator.count(filters?.map { $0.key ?? "" }, "filters", min: 0, max: 10)
        for (index, filter) in (filters ?? []).enumerated() {
            validator.oneOf(filter.key, "filters.\(index + 1).member.key", keys)
            validator.count(filter.values, "filters.\(index + 1).member.values", min: 1, max: 10)
            for (position, value) in (filter.values ?? []).enumerated() {
                validator.length(value, "filters.\(index + 1).member.values.\(position + 1).member", min: 1, max: 512)
            }
        }
    }

    static func requireSecretId(_ id: String?, _ validator: inout Validator) {
        validator.required(id, "secretId")
        validator.length(id, "secretId", min: 1, max: 2048)
    }

    /// The request's value: SecretString or SecretBinary (base64), never both, at most 64 KiB.
    static func value(string: String?, binary: String?, _ validator: inout Validator) throws -> SecretValue? {
        if string != nil, binary != nil {
            throw SealboxError.invalidParameter(
                "You can't specify both a binary secret value and a string secret value in the same secret.")
        }
        if let string {
            validator.size(string.utf8.count, "secretString", min: 0, max: maxValueBytes)
            return .string(SecureBytes(copying: Array(string.utf8)))
        }
        if let binary {
            guard let bytes = try? Base64.decodeSecure(Array(binary.utf8)) else {
                throw AWSError.serialization("SecretBinary is not valid base64")
            }
            validator.size(bytes.count, "secretBinary", min: 1, max: maxValueBytes)
            return .binary(bytes)
        }
        return nil
    }

    /// Tags as the model constrains them, the last value winning for a repeated key.
    static func tags(_ tags: [SecretTag]?, _ validator: inout Validator) -> [KeyTag] {
        var result: [KeyTag] = []
        for (index, tag) in (tags ?? []).enumerated() {
            validator.length(tag.key, "tags.\(index + 1).member.key", min: 1, max: 128)
            validator.length(tag.value, "tags.\(index + 1).member.value", max: 256)
            if let key = tag.key {
                result.removeAll { $0.key == key }
                result.append(KeyTag(key: key, value: tag.value ?? ""))
            }
        }
        return result
    }

    /// Letters, digits and `-/_+=.@!`, as AWS takes a secret's name.
    package static func isValidName(_ name: String) -> Bool {
        name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "/", "_", "+", "=", ".", "@", "!": true
            default: false
            }
        }
    }
}

extension SecretsManager {
    /// GetSecretValue's answer in the Lambda extension's form: every member in name order,
    /// `CreatedDate` as an ISO 8601 string, the absent one of `SecretBinary` and `SecretString` null,
    /// and an empty `ResultMetadata`.
    /// - Parameters:
    ///   - id: the `SecretId`.
    ///   - versionID: the version, if named.
    ///   - stage: the staging label, if named.
    ///   - context: the caller.
    public func extensionResponse(_ id: String, versionID: String?, stage: String?, _ context: RequestContext)
        throws -> ResponseBody
    {
        let (secret, version, value) = try self.value(id, versionID: versionID, stage: stage, context: context)
        var json = SensitiveJSON()
        json.string("ARN", secret.metadata.arn)
        json.string("CreatedDate", ISOTimestamp.milliseconds(version.created))
        json.string("Name", secret.name)
        if version.binary {
            json.base64("SecretBinary", value)
            json.null("SecretString")
        } else {
            json.null("SecretBinary")
            json.secretString("SecretString", value)
        }
        json.string("VersionId", version.id)
        json.strings("VersionStages", version.stages)
        json.object("ResultMetadata", SensitiveJSON())
        return json.render()
    }
}
