import Foundation
import SealboxCore
import SealboxCrypto

// KMS key operations: create, describe, list, enable and disable, deletion, rotation.
extension KMS {
    func createKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(CreateKeyRequest.self, from: body)
        var validator = Validator()
        validator.length(request.description, "description", max: 8192)
        validator.length(request.policy, "policy", min: 1, max: 131_072)
        validator.oneOf(request.keyUsage, "keyUsage", KeyUsage.allCases.map(\.rawValue))
        validator.oneOf(request.keySpec, "keySpec", KMS.keySpecs)
        validator.oneOf(request.customerMasterKeySpec, "customerMasterKeySpec", KMS.keySpecs)
        validator.oneOf(request.origin, "origin", ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"])
        let tags = try validateTags(request.tags, &validator)
        try validator.check()
        let spec = (request.keySpec ?? request.customerMasterKeySpec).flatMap(KeySpec.init) ?? .symmetricDefault
        if request.keyUsage == nil, spec != .symmetricDefault, spec.isSupported {
            throw SealboxError.validation(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
        }
        let usage = request.keyUsage.flatMap(KeyUsage.init) ?? .encryptDecrypt
        try spec.check(usage)
        let origin = request.origin.flatMap(KeyOrigin.init) ?? .awsKMS
        if let requested = request.origin, KeyOrigin(rawValue: requested) == nil {
            throw SealboxError.unsupportedOperation(
                "Sealbox supports the AWS_KMS and EXTERNAL origins, not \(requested): it has no custom key stores.")
        }
        if request.customKeyStoreId != nil {
            throw SealboxError.unsupportedOperation("Sealbox has no custom key stores.")
        }
        if let policy = request.policy { try checkPolicyDocument(policy) }
        let multiRegion = request.multiRegion == true
        let id = multiRegion ? KeyID.randomMultiRegion() : KeyID.random()
        var record = KeyRecord(
            id: id, scope: context.scope, created: clock.now(), description: request.description ?? "",
            manager: .customer,
            policy: request.policy ?? KMS.defaultPolicy(context), tags: tags, spec: spec, usage: usage,
            origin: origin)
        if multiRegion { record.multiRegion = MultiRegionSet(primaryRegion: context.region) }
        let key = try createKey(record)
        return AWSJSON.encode(KeyMetadataResponse(keyMetadata: keyMetadata(key, context)))
    }

    static let keySpecs = KeySpec.allCases.map(\.rawValue)

    static func defaultPolicy(_ context: RequestContext) -> String {
        """
        {"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",\
        "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\(context.accountID):root"},"Action":"kms:*","Resource":"*"}]}
        """
    }

    func describeKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let key = try authorizedKey(try AWSJSON.decode(KeyUseRequest.self, from: body), context)
        return AWSJSON.encode(KeyMetadataResponse(keyMetadata: keyMetadata(key, context)))
    }

    func listKeys(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        let (limit, marker) = try paging(request, maxLimit: 1000, defaultLimit: 100)
        let scope = context.scope
        // Paged by the id's text, which sorts mrk- ids apart from UUIDs.
        let all = keys.values.filter { $0.record.scope == scope && present($0.address) != nil }.map(\.idText).sorted()
        let page = try Self.page(all, after: marker, limit: limit)
        return AWSJSON.encode(
            ListKeysResponse(
                keys: page.items.map {
                    KeyListEntry(keyId: $0, keyArn: "arn:aws:kms:\(context.region):\(context.accountID):key/\($0)")
                },
                nextMarker: page.nextMarker, truncated: page.nextMarker != nil))
    }

    func updateKeyDescription(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(UpdateKeyDescriptionRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.required(request.description, "description")
        validator.length(request.description, "description", max: 8192)
        try validator.check()
        try updateDescription(of: request.keyId!, to: request.description!, context: context)
        return AWSJSON.encode(Empty())
    }

    func enableKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try setEnabled(true, body, context)
    }

    func disableKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try setEnabled(false, body, context)
    }

    private func setEnabled(_ enabled: Bool, _ body: [UInt8], _ context: RequestContext) throws
        -> ResponseBody
    {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        try setEnabled(enabled, key: try requireKeyId(request.keyId), context: context)
        return AWSJSON.encode(Empty())
    }

    func scheduleKeyDeletion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ScheduleKeyDeletionRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.range(request.pendingWindowInDays, "pendingWindowInDays", min: 7, max: 30)
        try validator.check()
        let days = request.pendingWindowInDays ?? 30
        let key = try scheduleDeletion(of: keyId, inDays: days, context: context)
        return AWSJSON.encode(
            ScheduleKeyDeletionResponse(
                keyId: key.arn(context), deletionDate: key.record.deletionDate, keyState: key.record.state.rawValue,
                pendingWindowInDays: days))
    }

    func cancelKeyDeletion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        let key = try cancelDeletion(of: try requireKeyId(request.keyId), context: context)
        return AWSJSON.encode(KeyIdResponse(keyId: key.arn(context)))
    }

    func enableKeyRotation(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(EnableKeyRotationRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.range(request.rotationPeriodInDays, "rotationPeriodInDays", min: 90, max: 2560)
        try validator.check()
        try enableRotation(of: keyId, everyDays: request.rotationPeriodInDays ?? 365, context: context)
        return AWSJSON.encode(Empty())
    }

    func disableKeyRotation(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        try disableRotation(of: try requireKeyId(request.keyId), context: context)
        return AWSJSON.encode(Empty())
    }

    func getKeyRotationStatus(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        let key = try resolve(try requireKeyId(request.keyId), context, allowAlias: false)
        try authorize(key, context)
        try requireNotPendingDeletion(key, context)
        let record = key.record
        return AWSJSON.encode(
            RotationStatusResponse(
                keyRotationEnabled: record.rotationEnabled, keyId: key.arn(context),
                rotationPeriodInDays: record.rotationEnabled ? record.rotationPeriodInDays : nil,
                nextRotationDate: record.nextRotationDate))
    }

    func rotateKeyOnDemand(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        let key = try rotateOnDemand(try requireKeyId(request.keyId), context: context)
        return AWSJSON.encode(KeyIdResponse(keyId: key.arn(context)))
    }

    func listKeyRotations(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        let (limit, marker) = try paging(request, maxLimit: 1000, defaultLimit: 100)
        let key = try resolve(keyId, context, allowAlias: false)
        try authorize(key, context)
        let rotations = key.versions.filter { $0.rotationType != .created }
        // Zero-padded so that string order is numeric order.
        let label = { (version: UInt32) in String(String(UInt64(version) + 10_000_000_000).dropFirst()) }
        let page = try Self.page(rotations.map { label($0.version) }, after: marker, limit: limit)
        let chosen = rotations.filter { page.items.contains(label($0.version)) }
        return AWSJSON.encode(
            ListKeyRotationsResponse(
                rotations: chosen.map {
                    RotationEntry(
                        keyId: key.arn(context), keyMaterialId: key.materialID($0.version), rotationDate: $0.created,
                        rotationType: $0.rotationType.rawValue)
                },
                nextMarker: page.nextMarker, truncated: page.nextMarker != nil))
    }
}
