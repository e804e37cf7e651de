import Foundation
import SealboxCore
import SealboxCrypto

// KMS cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom.
extension KMS {
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
        let key = try resolve(request.keyId!, context)
        try authorize(key, context, encryptionContext: request.encryptionContext)
        try requireUsable(key, context)
        if key.record.spec.asymmetric != nil {
            let algorithm = request.encryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
            try requireNoContext(request.encryptionContext)
            let ciphertext = try encryptAsymmetric(
                request.plaintext!.bytes, key: key, algorithm: algorithm, context: context)
            try checkDryRun(request.dryRun)
            return AWSJSON.encode(
                CiphertextResponse(
                    ciphertextBlob: Base64.encode(ciphertext), keyId: key.arn(context), encryptionAlgorithm: algorithm))
        }
        try requireSymmetric(request.encryptionAlgorithm)
        try requireSymmetric(key, "Encrypt", context)
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
        if let asymmetric = try asymmetricDecryptionKey(request.keyId, request.encryptionAlgorithm, context) {
            return try decryptAsymmetric(request, key: asymmetric, context)
        }
        try requireSymmetric(request.encryptionAlgorithm)
        let authorized = try authorizeCiphertextKey(
            request.ciphertextBlob!.bytes, context, encryptionContext: request.encryptionContext)
        let (plaintext, key, version) = try open(
            request.ciphertextBlob!.bytes, encryptionContext: EncryptionContext(request.encryptionContext ?? [:]),
            expectedKey: request.keyId, found: authorized?.key, context: context)
        let arn = authorized.flatMap { $0.key === key ? $0.arn : nil } ?? key.arn(context)
        let materialID = key.materialID(version)
        try checkDryRun(request.dryRun)
        context.trail?.served(
            .ciphertext(
                blob: request.ciphertextBlob!.bytes, context: request.encryptionContext ?? [:], scope: context.scope))
        var json = SensitiveJSON()
        json.string("KeyId", arn)
        json.base64("Plaintext", plaintext)
        json.string("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
        json.string("KeyMaterialId", materialID)
        return json.render()
    }

    /// The asymmetric key a Decrypt names, if it names one: an RSA ciphertext carries no key id, so
    /// the caller must name the key, as in AWS. A key id that names no key, or a symmetric one, goes
    /// the symmetric way, which authorizes before it says whether a key exists.
    private func asymmetricDecryptionKey(_ keyId: String?, _ algorithm: String?, _ context: RequestContext) throws
        -> LiveKey?
    {
        guard let keyId else {
            if let algorithm, KeySpec.oaepAlgorithms[algorithm] != nil {
                throw SealboxError.validation("KeyId is required to decrypt with \(algorithm).")
            }
            return nil
        }
        guard let key = try? resolve(keyId, context), key.record.spec.asymmetric != nil else { return nil }
        return key
    }

    private func decryptAsymmetric(_ request: DecryptRequest, key: LiveKey, _ context: RequestContext) throws
        -> ResponseBody
    {
        let arn = try authorize(key, context)
        try requireUsable(key, context)
        try requireNoContext(request.encryptionContext)
        let algorithm = request.encryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
        let plaintext = try decryptAsymmetric(
            request.ciphertextBlob!.bytes, key: key, algorithm: algorithm, context: context)
        try checkDryRun(request.dryRun)
        var json = SensitiveJSON()
        json.string("KeyId", arn)
        json.base64("Plaintext", plaintext)
        json.string("EncryptionAlgorithm", algorithm)
        return json.render()
    }

    /// Refuses an encryption context with an asymmetric key: RSA encryption binds none.
    private func requireNoContext(_ encryptionContext: [String: String]?) throws {
        if let encryptionContext, !encryptionContext.isEmpty {
            throw SealboxError.validation("EncryptionContext is not supported with asymmetric KMS keys.")
        }
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
        let destination = try resolve(request.destinationKeyId!, context)
        try authorize(destination, context, as: .reEncryptTo, encryptionContext: request.destinationEncryptionContext)
        try requireUsable(destination, context)
        let destinationAlgorithm = request.destinationEncryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
        if destination.record.spec.asymmetric == nil {
            try requireSymmetric(request.destinationEncryptionAlgorithm)
            try requireSymmetric(destination, "ReEncrypt", context)
        } else {
            try requireNoContext(request.destinationEncryptionContext)
        }
        // The source: an RSA ciphertext names its key in SourceKeyId, a symmetric one carries it.
        let plaintext: SecureBytes
        let sourceArn: String
        var sourceMaterialID: String?
        let sourceAlgorithm = request.sourceEncryptionAlgorithm ?? "SYMMETRIC_DEFAULT"
        if let source = try asymmetricDecryptionKey(request.sourceKeyId, request.sourceEncryptionAlgorithm, context) {
            sourceArn = try authorize(source, context, as: .reEncryptFrom)
            try requireUsable(source, context)
            try requireNoContext(request.sourceEncryptionContext)
            plaintext = try decryptAsymmetric(
                request.ciphertextBlob!.bytes, key: source, algorithm: sourceAlgorithm, context: context)
        } else {
            try requireSymmetric(request.sourceEncryptionAlgorithm)
            _ = try authorizeCiphertextKey(
                request.ciphertextBlob!.bytes, context, as: .reEncryptFrom,
                encryptionContext: request.sourceEncryptionContext)
            (plaintext, sourceArn, sourceMaterialID) = try decrypt(
                request.ciphertextBlob!.bytes,
                encryptionContext: EncryptionContext(request.sourceEncryptionContext ?? [:]),
                expectedKey: request.sourceKeyId, context: context)
        }
        let ciphertext: [UInt8]
        let arn: String
        var materialID: String?
        if destination.record.spec.asymmetric != nil {
            ciphertext = try encryptAsymmetric(
                plaintext, key: destination, algorithm: destinationAlgorithm, context: context)
            try checkDryRun(request.dryRun)
            arn = destination.arn(context)
        } else {
            try checkDryRun(request.dryRun)
            (ciphertext, arn, materialID) = try encrypt(
                plaintext, keyReference: destination.id.description,
                encryptionContext: EncryptionContext(request.destinationEncryptionContext ?? [:]), context: context)
        }
        return AWSJSON.encode(
            ReEncryptResponse(
                ciphertextBlob: Base64.encode(ciphertext), sourceKeyId: sourceArn, keyId: arn,
                sourceEncryptionAlgorithm: sourceAlgorithm, destinationEncryptionAlgorithm: destinationAlgorithm,
                sourceKeyMaterialId: sourceMaterialID, destinationKeyMaterialId: materialID))
    }

    func generateDataKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let (ciphertext, plaintext, arn, materialID) = try makeDataKey(body, context)
        if let trail = context.trail, let request = try? AWSJSON.decode(GenerateDataKeyRequest.self, from: body) {
            trail.served(.ciphertext(blob: ciphertext, context: request.encryptionContext ?? [:], scope: context.scope))
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
        try authorize(key, context, encryptionContext: request.encryptionContext)
        try requireUsable(key, context)
        try requireSymmetric(key, "GenerateDataKey", context)
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
}
