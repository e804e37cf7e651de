import Foundation
import SealboxCore
import SealboxCrypto

// Secrets Manager operations on versions, metadata and tags, random passwords and batch reads.
extension SecretsManager {
    func listSecretVersionIds(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListSecretVersionIdsRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.range(request.maxResults, "maxResults", min: 1, max: 100)
        try validator.check()
        let secret = try existing(request.secretId!, context)
        // A version without a label is deprecated: listed only when asked.
        let versions = secret.versions.filter { request.includeDeprecated == true || !$0.stages.isEmpty }
        guard
            let (chosen, next) = PageToken.page(
                versions, sortKey: { String(format: "%020.6f", $0.created) + $0.id }, after: request.nextToken,
                limit: request.maxResults ?? 100, scope: "secretsmanager.listSecretVersionIds")
        else { throw SealboxError.invalidParameter("The NextToken is not valid.") }
        var json = SensitiveJSON()
        json.objects(
            "Versions",
            chosen.map { version in
                var entry = SensitiveJSON()
                entry.string("VersionId", version.id)
                entry.strings("VersionStages", version.stages)
                entry.number("CreatedDate", version.created)
                entry.strings("KmsKeyIds", [secret.metadata.kmsKeyId ?? Self.defaultKeyAlias])
                return entry
            })
        if let next { json.string("NextToken", next) }
        json.string("ARN", secret.metadata.arn)
        json.string("Name", secret.name)
        return json.render()
    }

    func updateSecretVersionStage(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(UpdateSecretVersionStageRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.required(request.versionStage, "versionStage")
        validator.length(request.versionStage, "versionStage", min: 1, max: 256)
        validator.length(request.moveToVersionId, "moveToVersionId", min: 32, max: 64)
        validator.length(request.removeFromVersionId, "removeFromVersionId", min: 32, max: 64)
        try validator.check()
        let secret = try updateVersionStage(
            request.secretId!, stage: request.versionStage!, moveTo: request.moveToVersionId,
            removeFrom: request.removeFromVersionId, context: context)
        return Self.named(secret).render()
    }

    func updateSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(UpdateSecretRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.length(request.clientRequestToken, "clientRequestToken", min: 32, max: 64)
        validator.length(request.description, "description", max: 2048)
        validator.length(request.kmsKeyId, "kmsKeyId", max: 2048)
        let value = try Self.value(string: request.secretString, binary: request.secretBinary, &validator)
        try validator.check()
        let (secret, version) = try update(
            request.secretId!, description: request.description, kmsKeyId: request.kmsKeyId, value: value,
            token: request.clientRequestToken, context: context)
        var json = Self.named(secret)
        if let version { json.string("VersionId", version.id) }
        return json.render()
    }

    func tagResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretTagsRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.required(request.tags, "tags")
        let tags = Self.tags(request.tags, &validator)
        try validator.check()
        try retag(request.secretId!, adding: tags, removing: [], context: context)
        return AWSJSON.encode(Empty())
    }

    func untagResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretTagsRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.required(request.tagKeys, "tagKeys")
        try validator.check()
        try retag(request.secretId!, adding: [], removing: request.tagKeys!, context: context)
        return AWSJSON.encode(Empty())
    }

    func getRandomPassword(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(GetRandomPasswordRequest.self, from: body)
        var validator = Validator()
        validator.range(request.passwordLength, "passwordLength", min: 1, max: 4096)
        validator.length(request.excludeCharacters, "excludeCharacters", max: 4096)
        try validator.check()
        try context.authorize([])
        let excluded = Set((request.excludeCharacters ?? "").unicodeScalars)
        func allowed(_ text: String, _ skip: Bool?) -> [UInt8] {
            skip == true ? [] : text.unicodeScalars.filter { !excluded.contains($0) }.map { UInt8($0.value) }
        }
        var classes = [
            allowed("abcdefghijklmnopqrstuvwxyz", request.excludeLowercase),
            allowed("ABCDEFGHIJKLMNOPQRSTUVWXYZ", request.excludeUppercase),
            allowed("0123456789", request.excludeNumbers),
            allowed("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", request.excludePunctuation),
        ]
        if request.includeSpace == true { classes.append(allowed(" ", nil)) }
        classes.removeAll { $0.isEmpty }
        let length = request.passwordLength ?? 32
        let requireEach = request.requireEachIncludedType ?? true
        guard !classes.isEmpty, !requireEach || length >= classes.count else {
            throw SealboxError.invalidParameter(
                "The password length is too short, or every character is excluded, to include each type asked for.")
        }
        let password = Self.randomPassword(length: length, classes: classes, requireEach: requireEach)
        var json = SensitiveJSON()
        json.secretString("RandomPassword", password)
        return json.render()
    }

    /// A password of `length` characters drawn uniformly from `classes`, with one of each class when
    /// `requireEach`, built in guarded memory.
    static func randomPassword(length: Int, classes: [[UInt8]], requireEach: Bool) -> SecureBytes {
        let pool = classes.flatMap { $0 }
        var generator = SystemRandomNumberGenerator()
        return try! SecureBytes(count: length) { out in
            for index in 0..<length { out[index] = pool.randomElement(using: &generator)! }
            guard requireEach else { return }
            // One position per class, distinct, each given a character of its class.
            var positions = Array(0..<length)
            positions.shuffle(using: &generator)
            for (position, members) in zip(positions, classes) {
                out[position] = members.randomElement(using: &generator)!
            }
        }
    }

    func batchGetSecretValue(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(BatchGetSecretValueRequest.self, from: body)
        var validator = Validator()
        validator.count(request.secretIdList, "secretIdList", min: 1, max: 20)
        validator.range(request.maxResults, "maxResults", min: 1, max: 20)
        Self.checkFilters(request.filters, &validator)
        try validator.check()
        guard (request.secretIdList == nil) != (request.filters == nil) else {
            throw SealboxError.invalidParameter("Specify either SecretIdList or Filters, not both and not neither.")
        }
        var ids = request.secretIdList ?? []
        var next: String? = nil
        if let filters = request.filters {
            let (matches, key) = listed(filters, includingPlannedDeletion: false, descending: false, context)
            guard
                let page = PageToken.page(
                    matches, sortKey: key,
                    after: request.nextToken, limit: request.maxResults ?? 20,
                    scope: "secretsmanager.batchGetSecretValue")
            else { throw SealboxError.invalidParameter("The NextToken is not valid.") }
            ids = page.items.map(\.metadata.arn)
            next = page.next
        }
        var values: [SensitiveJSON] = []
        var errors: [SensitiveJSON] = []
        for id in ids {
            do {
                let (secret, version, value) = try self.value(id, versionID: nil, stage: nil, context: context)
                values.append(Self.valueJSON(secret, version, value))
            } catch {
                // One secret's refusal is reported beside the others' values, as AWS does.
                let failure = AWSError(any: error)
                var json = SensitiveJSON()
                json.string("SecretId", id)
                json.string("ErrorCode", failure.type)
                json.string("Message", failure.message)
                errors.append(json)
            }
        }
        var json = SensitiveJSON()
        json.objects("SecretValues", values)
        json.objects("Errors", errors)
        if let next { json.string("NextToken", next) }
        return json.render()
    }
}
