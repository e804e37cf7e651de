import SealboxCore
import SealboxCrypto

// Request and response shapes of the KMS operations Sealbox serves, named after botocore's
// kms/2014-11-01 model. Members are lowerCamelCase here and UpperCamelCase on the wire.

struct KeyIdRequest: Decodable {
    var keyId: String?
}

struct CreateKeyRequest: Decodable {
    var policy: String?
    var description: String?
    var keyUsage: String?
    var customerMasterKeySpec: String?
    var keySpec: String?
    var origin: String?
    var customKeyStoreId: String?
    var tags: [WireTag]?
    var multiRegion: Bool?
}

struct WireTag: Codable {
    var tagKey: String?
    var tagValue: String?
}

struct EncryptRequest: Decodable {
    var keyId: String?
    var plaintext: SecretBlob?
    var encryptionContext: [String: String]?
    var grantTokens: [String]?
    var encryptionAlgorithm: String?
    var dryRun: Bool?
}

struct DecryptRequest: FlatDecodable {
    var ciphertextBlob: Blob?
    var encryptionContext: [String: String]?
    var grantTokens: [String]?
    var keyId: String?
    var encryptionAlgorithm: String?
    var dryRun: Bool?

    private static let strings = ["ciphertextBlob", "keyId", "encryptionAlgorithm"]
    private static let bools = ["dryRun"]
    private static let others = ["encryptionContext", "grantTokens"]

    init?(flat object: FlatJSONObject) {
        guard object.matches(strings: Self.strings, bools: Self.bools, others: Self.others) else { return nil }
        if let text = object.string("ciphertextBlob") {
            guard let blob = Blob(base64: text) else { return nil }
            ciphertextBlob = blob
        }
        keyId = object.string("keyId")
        encryptionAlgorithm = object.string("encryptionAlgorithm")
        dryRun = object.bool("dryRun")
    }
}

struct ReEncryptRequest: Decodable {
    var ciphertextBlob: Blob?
    var sourceEncryptionContext: [String: String]?
    var sourceKeyId: String?
    var destinationKeyId: String?
    var destinationEncryptionContext: [String: String]?
    var sourceEncryptionAlgorithm: String?
    var destinationEncryptionAlgorithm: String?
    var grantTokens: [String]?
    var dryRun: Bool?
}

struct GenerateDataKeyRequest: Decodable {
    var keyId: String?
    var encryptionContext: [String: String]?
    var numberOfBytes: Int?
    var keySpec: String?
    var grantTokens: [String]?
    var dryRun: Bool?
}

struct GenerateMacRequest: Decodable {
    var message: SecretBlob?
    var keyId: String?
    var macAlgorithm: String?
    var grantTokens: [String]?
    var dryRun: Bool?
}

struct GenerateMacResponse: Encodable {
    var mac: String
    var macAlgorithm: String
    var keyId: String
}

struct VerifyMacRequest: Decodable {
    var message: SecretBlob?
    var keyId: String?
    var macAlgorithm: String?
    var mac: Blob?
    var grantTokens: [String]?
    var dryRun: Bool?
}

struct VerifyMacResponse: Encodable {
    var keyId: String
    var macValid: Bool
    var macAlgorithm: String
}

struct SignRequest: FlatDecodable {
    var keyId: String?
    var message: SecretBlob?
    var messageType: String?
    var grantTokens: [String]?
    var signingAlgorithm: String?
    var dryRun: Bool?

    private static let strings = ["keyId", "message", "messageType", "signingAlgorithm"]
    private static let bools = ["dryRun"]
    private static let others = ["grantTokens"]

    init?(flat object: FlatJSONObject) {
        guard object.matches(strings: Self.strings, bools: Self.bools, others: Self.others) else { return nil }
        if let text = object.string("message") {
            guard let blob = SecretBlob(base64: text) else { return nil }
            message = blob
        }
        keyId = object.string("keyId")
        messageType = object.string("messageType")
        signingAlgorithm = object.string("signingAlgorithm")
        dryRun = object.bool("dryRun")
    }
}

struct VerifyRequest: FlatDecodable {
    var keyId: String?
    var message: SecretBlob?
    var messageType: String?
    var signature: Blob?
    var signingAlgorithm: String?
    var grantTokens: [String]?
    var dryRun: Bool?

    private static let strings = ["keyId", "message", "messageType", "signature", "signingAlgorithm"]
    private static let bools = ["dryRun"]
    private static let others = ["grantTokens"]

    init?(flat object: FlatJSONObject) {
        guard object.matches(strings: Self.strings, bools: Self.bools, others: Self.others) else { return nil }
        if let text = object.string("message") {
            guard let blob = SecretBlob(base64: text) else { return nil }
            message = blob
        }
        if let text = object.string("signature") {
            guard let blob = Blob(base64: text) else { return nil }
            signature = blob
        }
        keyId = object.string("keyId")
        messageType = object.string("messageType")
        signingAlgorithm = object.string("signingAlgorithm")
        dryRun = object.bool("dryRun")
    }
}

struct GetPublicKeyResponse: Encodable {
    var keyId: String
    var publicKey: String
    var customerMasterKeySpec: String
    var keySpec: String
    var keyUsage: String
    var encryptionAlgorithms: [String]?
    var signingAlgorithms: [String]?
    var keyAgreementAlgorithms: [String]?
}

/// A Nitro Enclaves attestation (`RecipientInfo`), which Sealbox cannot check.
struct RecipientInfo: Decodable {
    var keyEncryptionAlgorithm: String?
    var attestationDocument: Blob?
}

struct DeriveSharedSecretRequest: Decodable {
    var keyId: String?
    var keyAgreementAlgorithm: String?
    var publicKey: Blob?
    var grantTokens: [String]?
    var dryRun: Bool?
    var recipient: RecipientInfo?
}

struct GenerateDataKeyPairRequest: Decodable {
    var keyId: String?
    var keyPairSpec: String?
    var encryptionContext: [String: String]?
    var grantTokens: [String]?
    var dryRun: Bool?
    var recipient: RecipientInfo?
}

struct GenerateDataKeyPairWithoutPlaintextResponse: Encodable {
    var privateKeyCiphertextBlob: String
    var publicKey: String
    var keyId: String
    var keyPairSpec: String
    var keyMaterialId: String
}

struct GetParametersForImportRequest: Decodable {
    var keyId: String?
    var wrappingAlgorithm: String?
    var wrappingKeySpec: String?
}

struct GetParametersForImportResponse: Encodable {
    var keyId: String
    var importToken: String
    var publicKey: String
    var parametersValidTo: Double
}

struct ImportKeyMaterialRequest: Decodable {
    var keyId: String?
    var importToken: Blob?
    var encryptedKeyMaterial: Blob?
    var validTo: Double?
    var expirationModel: String?
    var importType: String?
    var keyMaterialDescription: String?
    var keyMaterialId: String?
}

struct DeleteImportedKeyMaterialRequest: Decodable {
    var keyId: String?
    var keyMaterialId: String?
}

struct ImportedMaterialResponse: Encodable {
    var keyId: String
    var keyMaterialId: String
}

struct GenerateRandomRequest: Decodable {
    var numberOfBytes: Int?
    var customKeyStoreId: String?
}

struct AliasRequest: Decodable {
    var aliasName: String?
    var targetKeyId: String?
}

struct ListRequest: Decodable {
    var keyId: String?
    var limit: Int?
    var marker: String?
}

struct ScheduleKeyDeletionRequest: Decodable {
    var keyId: String?
    var pendingWindowInDays: Int?
}

struct EnableKeyRotationRequest: Decodable {
    var keyId: String?
    var rotationPeriodInDays: Int?
}

struct TagResourceRequest: Decodable {
    var keyId: String?
    var tags: [WireTag]?
}

struct UntagResourceRequest: Decodable {
    var keyId: String?
    var tagKeys: [String]?
}

struct UpdateKeyDescriptionRequest: Decodable {
    var keyId: String?
    var description: String?
}

struct KeyPolicyRequest: Decodable {
    var keyId: String?
    var policyName: String?
    var policy: String?
    var bypassPolicyLockoutSafetyCheck: Bool?
}

struct KeyMetadata: Encodable {
    var aWSAccountId: String
    var keyId: String
    var arn: String
    var creationDate: Double
    var enabled: Bool
    var description: String
    var keyUsage: String
    var keyState: String
    var deletionDate: Double?
    var keyManager: String
    var customerMasterKeySpec: String
    var keySpec: String
    var encryptionAlgorithms: [String]?
    var macAlgorithms: [String]?
    var signingAlgorithms: [String]?
    var keyAgreementAlgorithms: [String]?
    var multiRegion = false
    var multiRegionConfiguration: MultiRegionConfiguration?
    var pendingDeletionWindowInDays: Int?
    var origin: String
    var expirationModel: String?
    var validTo: Double?

    enum CodingKeys: String, CodingKey {
        case aWSAccountId = "AWSAccountId"
        case keyId, arn, creationDate, enabled, description, keyUsage, keyState, deletionDate, origin, keyManager
        case customerMasterKeySpec, keySpec, encryptionAlgorithms, macAlgorithms, signingAlgorithms
        case keyAgreementAlgorithms, multiRegion, multiRegionConfiguration, expirationModel, validTo
        case pendingDeletionWindowInDays
    }
}

struct MultiRegionConfiguration: Encodable {
    var multiRegionKeyType: String
    var primaryKey: MultiRegionKey
    var replicaKeys: [MultiRegionKey]
}

struct MultiRegionKey: Encodable {
    var arn: String
    var region: String
}

struct ReplicateKeyRequest: Decodable {
    var keyId: String?
    var replicaRegion: String?
    var policy: String?
    var bypassPolicyLockoutSafetyCheck: Bool?
    var description: String?
    var tags: [WireTag]?
}

struct ReplicateKeyResponse: Encodable {
    var replicaKeyMetadata: KeyMetadata
    var replicaPolicy: String
    var replicaTags: [WireTag]
}

struct UpdatePrimaryRegionRequest: Decodable {
    var keyId: String?
    var primaryRegion: String?
}

struct KeyMetadataResponse: Encodable {
    var keyMetadata: KeyMetadata
}

struct KeyListEntry: Encodable {
    var keyId: String
    var keyArn: String
}

struct ListKeysResponse: Encodable {
    var keys: [KeyListEntry]
    var nextMarker: String?
    var truncated: Bool
}

struct AliasListEntry: Encodable {
    var aliasName: String
    var aliasArn: String
    var targetKeyId: String
    var creationDate: Double
    var lastUpdatedDate: Double
}

struct ListAliasesResponse: Encodable {
    var aliases: [AliasListEntry]
    var nextMarker: String?
    var truncated: Bool
}

struct CiphertextResponse: Encodable {
    var ciphertextBlob: String
    var keyId: String
    var encryptionAlgorithm: String?
    var keyMaterialId: String?
}

struct ReEncryptResponse: Encodable {
    var ciphertextBlob: String
    var sourceKeyId: String
    var keyId: String
    var sourceEncryptionAlgorithm: String
    var destinationEncryptionAlgorithm: String
    var sourceKeyMaterialId: String?
    var destinationKeyMaterialId: String?
}

struct KeyIdResponse: Encodable {
    var keyId: String
}

struct ScheduleKeyDeletionResponse: Encodable {
    var keyId: String
    /// Absent while a multi-Region primary waits for its replicas' deletion.
    var deletionDate: Double?
    var keyState: String
    var pendingWindowInDays: Int
}

struct RotationStatusResponse: Encodable {
    var keyRotationEnabled: Bool
    var keyId: String
    var rotationPeriodInDays: Int?
    var nextRotationDate: Double?
}

struct RotationEntry: Encodable {
    var keyId: String
    var keyMaterialId: String
    var rotationDate: Double
    var rotationType: String
}

struct ListKeyRotationsResponse: Encodable {
    var rotations: [RotationEntry]
    var nextMarker: String?
    var truncated: Bool
}

struct ListResourceTagsResponse: Encodable {
    var tags: [WireTag]
    var nextMarker: String?
    var truncated: Bool
}

struct GetKeyPolicyResponse: Encodable {
    var policy: String
    var policyName: String
}

struct ListKeyPoliciesResponse: Encodable {
    var policyNames: [String]
    var truncated: Bool
}

struct Empty: Encodable {}

/// A request that names a key and may carry grant tokens: DescribeKey, GetPublicKey.
struct KeyUseRequest: Decodable {
    var keyId: String?
    var grantTokens: [String]?
}

struct CreateGrantRequest: Decodable {
    var keyId: String?
    var granteePrincipal: String?
    var retiringPrincipal: String?
    var operations: [String]?
    var constraints: WireGrantConstraints?
    var grantTokens: [String]?
    var name: String?
    var dryRun: Bool?
}

struct WireGrantConstraints: Codable {
    var encryptionContextSubset: [String: String]?
    var encryptionContextEquals: [String: String]?
}

struct CreateGrantResponse: Encodable {
    var grantToken: String
    var grantId: String
}

struct ListGrantsRequest: Decodable {
    var limit: Int?
    var marker: String?
    var keyId: String?
    var grantId: String?
    var granteePrincipal: String?
}

struct ListRetirableGrantsRequest: Decodable {
    var limit: Int?
    var marker: String?
    var retiringPrincipal: String?
}

struct GrantListEntry: Encodable {
    var keyId: String
    var grantId: String
    var name: String?
    var creationDate: Double
    var granteePrincipal: String
    var retiringPrincipal: String?
    var issuingAccount: String
    var operations: [String]
    var constraints: WireGrantConstraints?
}

struct ListGrantsResponse: Encodable {
    var grants: [GrantListEntry]
    var nextMarker: String?
    var truncated: Bool
}

struct RetireGrantRequest: Decodable {
    var grantToken: String?
    var keyId: String?
    var grantId: String?
    var dryRun: Bool?
}

struct RevokeGrantRequest: Decodable {
    var keyId: String?
    var grantId: String?
    var dryRun: Bool?
}
