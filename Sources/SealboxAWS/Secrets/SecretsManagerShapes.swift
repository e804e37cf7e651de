import SealboxCore

// Request shapes of the Secrets Manager operations Sealbox serves, named after botocore's
// secretsmanager/2017-10-17 model. Members are lowerCamelCase here and UpperCamelCase on the wire.
// Answers are built with SensitiveJSON, which keeps a value in guarded memory.

struct SecretTag: Codable {
    var key: String?
    var value: String?
}

struct CreateSecretRequest: Decodable {
    var name: String?
    var clientRequestToken: String?
    var description: String?
    var kmsKeyId: String?
    var secretBinary: String?
    var secretString: String?
    var tags: [SecretTag]?
    var addReplicaRegions: [ReplicaRegion]?
    var forceOverwriteReplicaSecret: Bool?
}

struct ReplicaRegion: Decodable {
    var region: String?
    var kmsKeyId: String?
}

struct ReplicateSecretRequest: Decodable {
    var secretId: String?
    var addReplicaRegions: [ReplicaRegion]?
    var forceOverwriteReplicaSecret: Bool?
}

struct RemoveRegionsRequest: Decodable {
    var secretId: String?
    var removeReplicaRegions: [String]?
}

struct SecretIdRequest: Decodable {
    var secretId: String?
    var versionId: String?
    var versionStage: String?
}

struct PutSecretValueRequest: Decodable {
    var secretId: String?
    var clientRequestToken: String?
    var secretBinary: String?
    var secretString: String?
    var versionStages: [String]?
}

struct DeleteSecretRequest: Decodable {
    var secretId: String?
    var recoveryWindowInDays: Int?
    var forceDeleteWithoutRecovery: Bool?
}

struct SecretsFilter: Decodable {
    var key: String?
    var values: [String]?
}

struct ListSecretsRequest: Decodable {
    var includePlannedDeletion: Bool?
    var maxResults: Int?
    var nextToken: String?
    var filters: [SecretsFilter]?
    var sortOrder: String?
}

struct UpdateSecretVersionStageRequest: Decodable {
    var secretId: String?
    var versionStage: String?
    var removeFromVersionId: String?
    var moveToVersionId: String?
}

struct ListSecretVersionIdsRequest: Decodable {
    var secretId: String?
    var maxResults: Int?
    var nextToken: String?
    var includeDeprecated: Bool?
}

struct SecretTagsRequest: Decodable {
    var secretId: String?
    var tags: [SecretTag]?
    var tagKeys: [String]?
}

struct UpdateSecretRequest: Decodable {
    var secretId: String?
    var clientRequestToken: String?
    var description: String?
    var kmsKeyId: String?
    var secretBinary: String?
    var secretString: String?
}

struct GetRandomPasswordRequest: Decodable {
    var passwordLength: Int?
    var excludeCharacters: String?
    var excludeNumbers: Bool?
    var excludePunctuation: Bool?
    var excludeUppercase: Bool?
    var excludeLowercase: Bool?
    var includeSpace: Bool?
    var requireEachIncludedType: Bool?
}

struct BatchGetSecretValueRequest: Decodable {
    var secretIdList: [String]?
    var filters: [SecretsFilter]?
    var maxResults: Int?
    var nextToken: String?
}

struct RotationRulesShape: Decodable {
    var automaticallyAfterDays: Int?
    var duration: String?
    var scheduleExpression: String?
}

struct RotateSecretRequest: Decodable {
    var secretId: String?
    var clientRequestToken: String?
    var rotationLambdaARN: String?
    var rotationRules: RotationRulesShape?
    var rotateImmediately: Bool?
}

struct SecretResourcePolicyRequest: Decodable {
    var secretId: String?
    var resourcePolicy: String?
    var blockPublicPolicy: Bool?
}
