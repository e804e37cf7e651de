import Foundation
import SealboxCore
import SealboxCrypto

// One method per KMS operation: decode, validate as the model says, act, encode.
extension KMS {
    static let keyIdMax = 2048
    static let plaintextMax = 4096

    func keyMetadata(_ key: LiveKey, _ context: RequestContext) -> KeyMetadata {
        let record = key.record
        return KeyMetadata(
            aWSAccountId: context.accountID, keyId: record.id.description, arn: key.arn(context),
            creationDate: record.created, enabled: record.state == .enabled, description: record.description,
            keyState: record.state.rawValue, deletionDate: record.deletionDate, keyManager: record.manager.rawValue,
            pendingDeletionWindowInDays: record.pendingWindowInDays)
    }

    private func requireKeyId(_ keyId: String?, _ field: String = "keyId") throws -> String {
        var validator = Validator()
        validator.required(keyId, field)
        validator.length(keyId, field, min: 1, max: Self.keyIdMax)
        try validator.check()
        return keyId!
    }

    private func validate(grantTokens: [String]?, _ validator: inout Validator) {
        if let grantTokens, grantTokens.count > 10 {
            validator.custom(
                "Value '\(grantTokens)' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10"
            )
        }
    }

    private func validate(encryptionAlgorithm: String?, _ field: String, _ validator: inout Validator) {
        validator.oneOf(
            encryptionAlgorithm, field, ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"])
    }

    private func requireSymmetric(_ algorithm: String?) throws {
        if let algorithm, algorithm != "SYMMETRIC_DEFAULT" {
            throw SealboxError.invalidKeyUsage("\(algorithm) is not supported for symmetric KMS keys.")
        }
    }

    private func checkDryRun(_ dryRun: Bool?) throws {
        if dryRun == true {
            throw AWSError.dryRun("The request would have succeeded, but the DryRun option is set.")
        }
    }

    // MARK: Keys

    func createKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(CreateKeyRequest.self, from: body)
        var validator = Validator()
        validator.length(request.description, "description", max: 8192)
        validator.length(request.policy, "policy", min: 1, max: 131_072)
        validator.oneOf(
            request.keyUsage, "keyUsage", ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"])
        validator.oneOf(request.keySpec, "keySpec", KMS.keySpecs)
        validator.oneOf(request.customerMasterKeySpec, "customerMasterKeySpec", KMS.keySpecs)
        validator.oneOf(request.origin, "origin", ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"])
        let tags = try validateTags(request.tags, &validator)
        try validator.check()
        if let usage = request.keyUsage, usage != "ENCRYPT_DECRYPT" {
            throw SealboxError.unsupportedOperation("Sealbox supports only ENCRYPT_DECRYPT keys, not \(usage).")
        }
        if let spec = request.keySpec ?? request.customerMasterKeySpec, spec != "SYMMETRIC_DEFAULT" {
            throw SealboxError.unsupportedOperation("Sealbox supports only SYMMETRIC_DEFAULT keys, not \(spec).")
        }
        if let origin = request.origin, origin != "AWS_KMS" {
            throw SealboxError.unsupportedOperation("Sealbox supports only the AWS_KMS origin, not \(origin).")
        }
        if request.customKeyStoreId != nil {
            throw SealboxError.unsupportedOperation("Sealbox has no custom key stores.")
        }
        if request.multiRegion == true {
            throw SealboxError.unsupportedOperation("Sealbox has no multi-Region keys.")
        }
        if let policy = request.policy { try checkPolicyDocument(policy) }
        let id = KeyID.random()
        let record = KeyRecord(
            id: id, created: clock.now(), description: request.description ?? "", manager: .customer,
            policy: request.policy ?? KMS.defaultPolicy(context), tags: tags)
        let key = try createKey(record)
        return AWSJSON.encode(KeyMetadataResponse(keyMetadata: keyMetadata(key, context)))
    }

    static let keySpecs = [
        "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
        "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65",
        "ML_DSA_87", "ECC_NIST_EDWARDS25519",
    ]

    static func defaultPolicy(_ context: RequestContext) -> String {
        """
        {"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions",\
        "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\(context.accountID):root"},"Action":"kms:*","Resource":"*"}]}
        """
    }

    func describeKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        let key = try resolve(try requireKeyId(request.keyId), context)
        try authorize(key, context)
        return AWSJSON.encode(KeyMetadataResponse(keyMetadata: keyMetadata(key, context)))
    }

    func listKeys(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        let (limit, marker) = try paging(request, maxLimit: 1000, defaultLimit: 100)
        let all = keys.values.filter { present($0.id) != nil }.map(\.id).sorted()
        let page = try Self.page(all.map(\.description), after: marker, limit: limit)
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
        try mutate(request.keyId!, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            stored.record.description = request.description!
        }
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
        try mutate(try requireKeyId(request.keyId), context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            stored.record.state = enabled ? .enabled : .disabled
        }
        return AWSJSON.encode(Empty())
    }

    private func requireCustomerManaged(_ key: LiveKey, _ context: RequestContext) throws(SealboxError) {
        if key.record.manager == .aws {
            throw SealboxError.unsupportedOperation("\(key.arn(context)) is an AWS managed key; it cannot be changed.")
        }
    }

    func scheduleKeyDeletion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ScheduleKeyDeletionRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.range(request.pendingWindowInDays, "pendingWindowInDays", min: 7, max: 30)
        try validator.check()
        let days = request.pendingWindowInDays ?? 30
        let key = try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            stored.record.state = .pendingDeletion
            stored.record.deletionDate = clock.now() + Double(days) * 86_400
            stored.record.pendingWindowInDays = days
        }
        return AWSJSON.encode(
            ScheduleKeyDeletionResponse(
                keyId: key.arn(context), deletionDate: key.record.deletionDate!, keyState: key.record.state.rawValue,
                pendingWindowInDays: days))
    }

    func cancelKeyDeletion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        let key = try mutate(try requireKeyId(request.keyId), context) { (stored, key) throws(SealboxError) in
            guard key.record.state == .pendingDeletion else {
                throw SealboxError.invalidState("\(key.arn(context)) is not pending deletion.")
            }
            stored.record.state = .disabled
            stored.record.deletionDate = nil
            stored.record.pendingWindowInDays = nil
        }
        return AWSJSON.encode(KeyIdResponse(keyId: key.arn(context)))
    }

    // MARK: Rotation

    func enableKeyRotation(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(EnableKeyRotationRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.range(request.rotationPeriodInDays, "rotationPeriodInDays", min: 90, max: 2560)
        try validator.check()
        try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireUsable(key, context)
            try requireCustomerManaged(key, context)
            stored.record.rotationEnabled = true
            stored.record.rotationPeriodInDays = request.rotationPeriodInDays ?? 365
            stored.record.rotationAnchor = clock.now()
        }
        return AWSJSON.encode(Empty())
    }

    func disableKeyRotation(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyIdRequest.self, from: body)
        try mutate(try requireKeyId(request.keyId), context) { (stored, key) throws(SealboxError) in
            try requireUsable(key, context)
            try requireCustomerManaged(key, context)
            stored.record.rotationEnabled = false
            stored.record.rotationPeriodInDays = nil
            stored.record.rotationAnchor = nil
        }
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
        let key = try mutate(try requireKeyId(request.keyId), context) { (stored, key) throws(SealboxError) in
            try requireUsable(key, context)
            try requireCustomerManaged(key, context)
            guard stored.record.onDemandRotations < KMS.maxOnDemandRotations else {
                throw SealboxError.limitExceeded(
                    "\(key.arn(context)) has reached the limit of \(KMS.maxOnDemandRotations) on-demand rotations.")
            }
            stored.versions.append(try newVersion(for: key.id, number: key.currentVersion + 1, type: .onDemand))
            stored.record.onDemandRotations += 1
        }
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

    // MARK: Cryptography

    func encrypt(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(EncryptRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(request.plaintext, "plaintext")
        validator.size(request.plaintext?.bytes.count, "plaintext", min: 1, max: Self.plaintextMax)
        validate(grantTokens: request.grantTokens, &validator)
        validate(encryptionAlgorithm: request.encryptionAlgorithm, "encryptionAlgorithm", &validator)
        try validator.check()
        try requireSymmetric(request.encryptionAlgorithm)
        let key = try resolve(request.keyId!, context)
        try authorize(key, context)
        try requireUsable(key, context)
        try checkDryRun(request.dryRun)
        let (ciphertext, arn, _) = try encrypt(
            request.plaintext!.bytes, keyReference: key.id.description,
            encryptionContext: EncryptionContext(request.encryptionContext ?? [:]), context: context)
        return AWSJSON.encode(
            CiphertextResponse(
                ciphertextBlob: Base64.encode(ciphertext), keyId: arn, encryptionAlgorithm: "SYMMETRIC_DEFAULT"))
    }

    func decrypt(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(DecryptRequest.self, from: body)
        var validator = Validator()
        validator.required(request.ciphertextBlob, "ciphertextBlob")
        validator.size(request.ciphertextBlob?.bytes.count, "ciphertextBlob", min: 1, max: 6144)
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validate(grantTokens: request.grantTokens, &validator)
        validate(encryptionAlgorithm: request.encryptionAlgorithm, "encryptionAlgorithm", &validator)
        try validator.check()
        try requireSymmetric(request.encryptionAlgorithm)
        var authorized: (key: LiveKey, arn: String)? = nil
        if let key = ciphertextKey(request.ciphertextBlob!.bytes) { authorized = (key, try authorize(key, context)) }
        let (plaintext, key, version) = try open(
            request.ciphertextBlob!.bytes, encryptionContext: EncryptionContext(request.encryptionContext ?? [:]),
            expectedKey: request.keyId, found: authorized?.key, context: context)
        let arn = authorized.flatMap { $0.key === key ? $0.arn : nil } ?? key.arn(context)
        let materialID = key.materialID(version)
        try checkDryRun(request.dryRun)
        context.trail?.served(
            .ciphertext(blob: request.ciphertextBlob!.bytes, context: request.encryptionContext ?? [:]))
        var json = SensitiveJSON()
        json.string("KeyId", arn)
        json.base64("Plaintext", plaintext)
        json.string("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
        json.string("KeyMaterialId", materialID)
        return json.render()
    }

    func reEncrypt(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ReEncryptRequest.self, from: body)
        var validator = Validator()
        validator.required(request.ciphertextBlob, "ciphertextBlob")
        validator.size(request.ciphertextBlob?.bytes.count, "ciphertextBlob", min: 1, max: 6144)
        validator.required(request.destinationKeyId, "destinationKeyId")
        validator.length(request.destinationKeyId, "destinationKeyId", min: 1, max: Self.keyIdMax)
        validator.length(request.sourceKeyId, "sourceKeyId", min: 1, max: Self.keyIdMax)
        validate(grantTokens: request.grantTokens, &validator)
        validate(encryptionAlgorithm: request.sourceEncryptionAlgorithm, "sourceEncryptionAlgorithm", &validator)
        validate(
            encryptionAlgorithm: request.destinationEncryptionAlgorithm, "destinationEncryptionAlgorithm", &validator)
        try validator.check()
        try requireSymmetric(request.sourceEncryptionAlgorithm)
        try requireSymmetric(request.destinationEncryptionAlgorithm)
        let destination = try resolve(request.destinationKeyId!, context)
        try authorize(destination, context)
        try requireUsable(destination, context)
        if let source = ciphertextKey(request.ciphertextBlob!.bytes) { try authorize(source, context) }
        let (plaintext, sourceArn, sourceMaterialID) = try decrypt(
            request.ciphertextBlob!.bytes,
            encryptionContext: EncryptionContext(request.sourceEncryptionContext ?? [:]),
            expectedKey: request.sourceKeyId, context: context)
        try checkDryRun(request.dryRun)
        let (ciphertext, arn, materialID) = try encrypt(
            plaintext, keyReference: destination.id.description,
            encryptionContext: EncryptionContext(request.destinationEncryptionContext ?? [:]), context: context)
        return AWSJSON.encode(
            ReEncryptResponse(
                ciphertextBlob: Base64.encode(ciphertext), sourceKeyId: sourceArn, keyId: arn,
                sourceKeyMaterialId: sourceMaterialID, destinationKeyMaterialId: materialID))
    }

    func generateDataKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let (ciphertext, plaintext, arn, materialID) = try makeDataKey(body, context)
        if let trail = context.trail, let request = try? AWSJSON.decode(GenerateDataKeyRequest.self, from: body) {
            trail.served(.ciphertext(blob: ciphertext, context: request.encryptionContext ?? [:]))
        }
        var json = SensitiveJSON()
        json.string("CiphertextBlob", Base64.encode(ciphertext))
        json.base64("Plaintext", plaintext)
        json.string("KeyId", arn)
        json.string("KeyMaterialId", materialID)
        return json.render()
    }

    func generateDataKeyWithoutPlaintext(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let (ciphertext, _, arn, materialID) = try makeDataKey(body, context)
        return AWSJSON.encode(
            CiphertextResponse(ciphertextBlob: Base64.encode(ciphertext), keyId: arn, keyMaterialId: materialID))
    }

    private func makeDataKey(
        _ body: [UInt8],
        _ context: RequestContext
    ) throws -> ([UInt8], SecureBytes, String, String) {
        let request = try AWSJSON.decode(GenerateDataKeyRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.range(request.numberOfBytes, "numberOfBytes", min: 1, max: 1024)
        validator.oneOf(request.keySpec, "keySpec", ["AES_256", "AES_128"])
        validate(grantTokens: request.grantTokens, &validator)
        try validator.check()
        let count: Int
        switch (request.keySpec, request.numberOfBytes) {
        case (nil, nil):
            throw SealboxError.validation("Please specify either number of bytes or key spec.")
        case (.some, .some):
            throw SealboxError.validation("Please specify either number of bytes or key spec, not both.")
        case (.some(let spec), nil):
            count = spec == "AES_128" ? 16 : 32
        case (nil, .some(let bytes)):
            count = bytes
        }
        let key = try resolve(request.keyId!, context)
        try authorize(key, context)
        try requireUsable(key, context)
        try checkDryRun(request.dryRun)
        let plaintext = SecureBytes.random(count: count)
        let (ciphertext, arn, materialID) = try encrypt(
            plaintext, keyReference: key.id.description,
            encryptionContext: EncryptionContext(request.encryptionContext ?? [:]), context: context)
        return (ciphertext, plaintext, arn, materialID)
    }

    func generateRandom(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(GenerateRandomRequest.self, from: body)
        var validator = Validator()
        validator.required(request.numberOfBytes, "numberOfBytes")
        validator.range(request.numberOfBytes, "numberOfBytes", min: 1, max: 1024)
        try validator.check()
        if request.customKeyStoreId != nil {
            throw SealboxError.unsupportedOperation("Sealbox has no custom key stores.")
        }
        var json = SensitiveJSON()
        json.base64("Plaintext", SecureBytes.random(count: request.numberOfBytes!))
        return json.render()
    }

    // MARK: Aliases

    private func validateAliasName(_ name: String?) throws -> String {
        var validator = Validator()
        validator.required(name, "aliasName")
        validator.length(name, "aliasName", min: 1, max: 256)
        validator.pattern(name, "aliasName", "^[a-zA-Z0-9:/_-]+$") { Self.isAliasCharacter($0) || $0 == ":" }
        try validator.check()
        let name = name!
        guard name.hasPrefix("alias/"), name.count > 6, name.unicodeScalars.allSatisfy(Self.isAliasCharacter) else {
            throw SealboxError.validation("Alias must start with the prefix \"alias/\" and use only a-zA-Z0-9/_-")
        }
        if name.hasPrefix("alias/aws/") {
            throw SealboxError.notAuthorized(
                "Cannot create, update or delete an alias with the reserved prefix alias/aws/")
        }
        return name
    }

    private static func isAliasCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "/", "_", "-": true
        default: false
        }
    }

    private func aliasTarget(_ targetKeyId: String?) throws -> String {
        let target = try requireKeyId(targetKeyId, "targetKeyId")
        if target.hasPrefix("alias/") || target.contains(":alias/") {
            throw SealboxError.validation("Aliases must refer to keys. Not aliases")
        }
        return target
    }

    func createAlias(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(AliasRequest.self, from: body)
        let name = try validateAliasName(request.aliasName)
        let target = try aliasTarget(request.targetKeyId)
        try context.authorize([name])
        try withWriter { () throws(SealboxError) in
            let key = try resolve(target, context, allowAlias: false)
            try authorize(key, context)
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            guard aliases[name] == nil else {
                throw SealboxError.alreadyExists("An alias with the name \(aliasArn(name, context)) already exists")
            }
            let now = clock.now()
            try storeAlias(AliasRecord(name: name, keyID: key.id, created: now, updated: now))
        }
        return AWSJSON.encode(Empty())
    }

    func updateAlias(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(AliasRequest.self, from: body)
        let name = try validateAliasName(request.aliasName)
        let target = try aliasTarget(request.targetKeyId)
        try context.authorize([name])
        try withWriter { () throws(SealboxError) in
            guard var alias = aliases[name] else {
                throw SealboxError.notFound("Alias \(aliasArn(name, context)) is not found.")
            }
            let key = try resolve(target, context, allowAlias: false)
            try authorize(key, context)
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            alias.keyID = key.id
            alias.updated = clock.now()
            try storeAlias(alias)
        }
        return AWSJSON.encode(Empty())
    }

    func deleteAlias(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(AliasRequest.self, from: body)
        let name = try validateAliasName(request.aliasName)
        try context.authorize([name])
        try withWriter { () throws(SealboxError) in
            guard aliases[name] != nil else {
                throw SealboxError.notFound("Alias \(aliasArn(name, context)) is not found.")
            }
            try removeAlias(name)
        }
        return AWSJSON.encode(Empty())
    }

    func listAliases(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        try context.authorize([])
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        let (limit, marker) = try paging(request, maxLimit: 100, defaultLimit: 50)
        var filter: KeyID? = nil
        if let keyId = request.keyId {
            filter = try resolve(try requireKeyId(keyId), context, allowAlias: false).id
        }
        let chosen = aliases.values
            .filter { alias in present(alias.keyID) != nil && (filter == nil || alias.keyID == filter) }
            .sorted { $0.name < $1.name }
        let page = try Self.page(chosen.map(\.name), after: marker, limit: limit)
        let byName = Dictionary(uniqueKeysWithValues: chosen.map { ($0.name, $0) })
        return AWSJSON.encode(
            ListAliasesResponse(
                aliases: page.items.map { name in
                    let alias = byName[name]!
                    return AliasListEntry(
                        aliasName: name, aliasArn: aliasArn(name, context), targetKeyId: alias.keyID.description,
                        creationDate: alias.created, lastUpdatedDate: alias.updated)
                },
                nextMarker: page.nextMarker, truncated: page.nextMarker != nil))
    }

    // MARK: Tags and policies

    private func validateTags(_ tags: [WireTag]?, _ validator: inout Validator) throws -> [KeyTag] {
        guard let tags else { return [] }
        var result: [KeyTag] = []
        for (index, tag) in tags.enumerated() {
            validator.required(tag.tagKey, "tags.\(index + 1).member.tagKey")
            validator.required(tag.tagValue, "tags.\(index + 1).member.tagValue")
            validator.length(tag.tagKey, "tags.\(index + 1).member.tagKey", min: 1, max: 128)
            validator.length(tag.tagValue, "tags.\(index + 1).member.tagValue", max: 256)
            if let key = tag.tagKey, let value = tag.tagValue {
                if key.hasPrefix("aws:") { throw SealboxError.tag("Tag keys beginning with aws: are reserved") }
                result.removeAll { $0.key == key }
                result.append(KeyTag(key: key, value: value))
            }
        }
        return result
    }

    func tagResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(TagResourceRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.required(request.tags, "tags")
        let tags = try validateTags(request.tags, &validator)
        try validator.check()
        try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            for tag in tags {
                stored.record.tags.removeAll { $0.key == tag.key }
                stored.record.tags.append(tag)
            }
            guard stored.record.tags.count <= 50 else {
                throw SealboxError.limitExceeded("A key may carry at most 50 tags.")
            }
        }
        return AWSJSON.encode(Empty())
    }

    func untagResource(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(UntagResourceRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.required(request.tagKeys, "tagKeys")
        try validator.check()
        try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            stored.record.tags.removeAll { request.tagKeys!.contains($0.key) }
        }
        return AWSJSON.encode(Empty())
    }

    func listResourceTags(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        let (limit, marker) = try paging(request, maxLimit: 50, defaultLimit: 50)
        let key = try resolve(keyId, context, allowAlias: false)
        try authorize(key, context)
        let values = Dictionary(key.record.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        let page = try Self.page(values.keys.sorted(), after: marker, limit: limit)
        return AWSJSON.encode(
            ListResourceTagsResponse(
                tags: page.items.map { WireTag(tagKey: $0, tagValue: values[$0]) }, nextMarker: page.nextMarker,
                truncated: page.nextMarker != nil))
    }

    private func checkPolicyDocument(_ policy: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(policy.utf8)), object is [String: Any] else {
            throw SealboxError.malformedPolicyDocument("The new key policy is not a JSON object.")
        }
    }

    private func checkPolicyName(_ name: String?) throws {
        var validator = Validator()
        validator.oneOf(name, "policyName", ["default"])
        try validator.check()
    }

    func getKeyPolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyPolicyRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        try checkPolicyName(request.policyName)
        let key = try resolve(keyId, context, allowAlias: false)
        try authorize(key, context)
        return AWSJSON.encode(GetKeyPolicyResponse(policy: key.record.policy, policyName: "default"))
    }

    func putKeyPolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(KeyPolicyRequest.self, from: body)
        let keyId = try requireKeyId(request.keyId)
        var validator = Validator()
        validator.required(request.policy, "policy")
        validator.length(request.policy, "policy", min: 1, max: 131_072)
        try validator.check()
        try checkPolicyName(request.policyName)
        try checkPolicyDocument(request.policy!)
        try mutate(keyId, context) { (stored, key) throws(SealboxError) in
            try requireNotPendingDeletion(key, context)
            try requireCustomerManaged(key, context)
            stored.record.policy = request.policy!
        }
        return AWSJSON.encode(Empty())
    }

    func listKeyPolicies(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ListRequest.self, from: body)
        _ = try paging(request, maxLimit: 1000, defaultLimit: 100)
        try authorize(try resolve(try requireKeyId(request.keyId), context, allowAlias: false), context)
        return AWSJSON.encode(ListKeyPoliciesResponse(policyNames: ["default"], truncated: false))
    }

    // MARK: Paging

    private func paging(_ request: ListRequest, maxLimit: Int, defaultLimit: Int) throws -> (Int, String?) {
        var validator = Validator()
        validator.range(request.limit, "limit", min: 1, max: maxLimit)
        validator.length(request.marker, "marker", min: 1, max: 1024)
        try validator.check()
        return (request.limit ?? defaultLimit, request.marker)
    }

    /// A page of sorted `items` after the one an opaque marker names.
    static func page(_ items: [String], after marker: String?, limit: Int, scope: String = #function) throws
        -> (
            items: [String], nextMarker: String?
        )
    {
        guard let page = PageToken.page(items, sortKey: { $0 }, after: marker, limit: limit, scope: "kms." + scope)
        else {
            throw AWSError.invalidMarker("Invalid marker")
        }
        return (Array(page.items), page.next)
    }
}
