import Foundation
import SealboxCore
import SealboxCrypto

// KMS operations with asymmetric keys: Sign, Verify, GetPublicKey, DeriveSharedSecret and the data
// key pairs. RSA Encrypt and Decrypt share their operations with symmetric keys.
extension KMS {
    static let messageTypes = ["RAW", "DIGEST", "EXTERNAL_MU"]

    func sign(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SignRequest.self, from: body)
        let (key, arn, algorithm, type) = try signingKey(
            request.keyId, request.message, request.messageType, request.signingAlgorithm, request.grantTokens,
            context, "Sign")
        try checkDryRun(request.dryRun)
        let signature = try sign(request.message!.bytes, type: type, key: key, algorithm: algorithm, context: context)
        var json = SensitiveJSON()
        json.string("KeyId", arn)
        json.string("Signature", Base64.encode(signature))
        json.string("SigningAlgorithm", algorithm.rawValue)
        return json.render()
    }

    func verify(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(VerifyRequest.self, from: body)
        var validator = Validator()
        validator.required(request.signature, "signature")
        validator.size(request.signature?.bytes.count, "signature", min: 1, max: 6144)
        let (key, arn, algorithm, type) = try signingKey(
            request.keyId, request.message, request.messageType, request.signingAlgorithm, request.grantTokens,
            context, "Verify", validator)
        try checkDryRun(request.dryRun)
        guard
            try verify(
                request.signature!.bytes, message: request.message!.bytes, type: type, key: key,
                algorithm: algorithm, context: context)
        else { throw SealboxError.invalidSignature }
        var json = SensitiveJSON()
        json.string("KeyId", arn)
        json.bool("SignatureValid", true)
        json.string("SigningAlgorithm", algorithm.rawValue)
        return json.render()
    }

    /// Validates what Sign and Verify share, then finds, authorizes and checks the key: usable, a
    /// SIGN_VERIFY key, and one whose spec lists the algorithm.
    private func signingKey(
        _ keyId: String?, _ message: SecretBlob?, _ messageType: String?, _ signingAlgorithm: String?,
        _ grantTokens: [String]?, _ context: RequestContext, _ operation: String,
        _ validator: Validator = Validator()
    ) throws -> (LiveKey, String, SigningAlgorithm, MessageType) {
        var validator = validator
        validator.required(keyId, "keyId")
        validator.length(keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(message, "message")
        validator.size(message?.bytes.count, "message", min: 1, max: Self.plaintextMax)
        validator.oneOf(messageType, "messageType", Self.messageTypes)
        validator.required(signingAlgorithm, "signingAlgorithm")
        validator.oneOf(signingAlgorithm, "signingAlgorithm", SigningAlgorithm.allCases.map(\.rawValue))
        validate(grantTokens: grantTokens, &validator)
        try validator.check()
        let algorithm = SigningAlgorithm(rawValue: signingAlgorithm!)!
        let key = try resolve(keyId!, context)
        let arn = try authorize(key, context)
        try requireUsable(key, context)
        try requireSigningAlgorithm(key, algorithm, operation, context)
        guard let type = MessageType(rawValue: messageType ?? "RAW") else {
            throw SealboxError.validation("MessageType EXTERNAL_MU is valid only with ML_DSA keys.")
        }
        return (key, arn, algorithm, type)
    }

    func getPublicKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let key = try authorizedKey(try AWSJSON.decode(KeyUseRequest.self, from: body), context)
        try requireUsable(key, context)
        guard let publicKey = key.privateKey?.publicKey else {
            throw SealboxError.unsupportedOperation(
                "\(key.arn(context)) is a \(key.record.spec.rawValue) key; only asymmetric keys have a public key.")
        }
        let record = key.record
        return AWSJSON.encode(
            GetPublicKeyResponse(
                keyId: key.arn(context), publicKey: Base64.encode(publicKey.der),
                customerMasterKeySpec: record.spec.rawValue, keySpec: record.spec.rawValue,
                keyUsage: record.usage.rawValue,
                encryptionAlgorithms: Self.nonEmpty(record.spec.encryptionAlgorithms(record.usage)),
                signingAlgorithms: Self.nonEmpty(record.spec.signingAlgorithms(record.usage).map(\.rawValue)),
                keyAgreementAlgorithms: Self.nonEmpty(record.spec.keyAgreementAlgorithms(record.usage))))
    }

    func deriveSharedSecret(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(DeriveSharedSecretRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(request.keyAgreementAlgorithm, "keyAgreementAlgorithm")
        validator.oneOf(request.keyAgreementAlgorithm, "keyAgreementAlgorithm", ["ECDH"])
        validator.required(request.publicKey, "publicKey")
        validator.size(request.publicKey?.bytes.count, "publicKey", min: 1, max: 8192)
        validate(grantTokens: request.grantTokens, &validator)
        try validator.check()
        try refuse(request.recipient)
        let key = try resolve(request.keyId!, context)
        try authorize(key, context)
        try requireUsable(key, context)
        try checkDryRun(request.dryRun)
        let secret = try deriveSharedSecret(request.publicKey!.bytes, key: key, context: context)
        var json = SensitiveJSON()
        json.string("KeyId", key.arn(context))
        json.base64("SharedSecret", secret)
        json.string("KeyAgreementAlgorithm", "ECDH")
        json.string("KeyOrigin", "AWS_KMS")
        return json.render()
    }

    func generateDataKeyPair(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let (pair, spec) = try makeDataKeyPair(body, context)
        var json = SensitiveJSON()
        json.string("PrivateKeyCiphertextBlob", Base64.encode(pair.ciphertext))
        json.base64("PrivateKeyPlaintext", pair.privateKey)
        json.string("PublicKey", Base64.encode(pair.publicKey))
        json.string("KeyId", pair.keyArn)
        json.string("KeyPairSpec", spec)
        json.string("KeyMaterialId", pair.materialID)
        return json.render()
    }

    func generateDataKeyPairWithoutPlaintext(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let (pair, spec) = try makeDataKeyPair(body, context)
        return AWSJSON.encode(
            GenerateDataKeyPairWithoutPlaintextResponse(
                privateKeyCiphertextBlob: Base64.encode(pair.ciphertext), publicKey: Base64.encode(pair.publicKey),
                keyId: pair.keyArn, keyPairSpec: spec, keyMaterialId: pair.materialID))
    }

    private func makeDataKeyPair(_ body: [UInt8], _ context: RequestContext) throws -> (
        (ciphertext: [UInt8], privateKey: SecureBytes, publicKey: [UInt8], keyArn: String, materialID: String),
        String
    ) {
        let request = try AWSJSON.decode(GenerateDataKeyPairRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(request.keyPairSpec, "keyPairSpec")
        validator.oneOf(request.keyPairSpec, "keyPairSpec", Self.dataKeyPairSpecs.map(\.name))
        validate(grantTokens: request.grantTokens, &validator)
        try validator.check()
        try refuse(request.recipient)
        let key = try resolve(request.keyId!, context)
        try authorize(key, context, encryptionContext: request.encryptionContext)
        try requireUsable(key, context)
        try requireSymmetric(key, "GenerateDataKeyPair", context)
        try checkDryRun(request.dryRun)
        let pair = try generateDataKeyPair(
            request.keyPairSpec!, keyReference: key.id.description,
            encryptionContext: EncryptionContext(request.encryptionContext ?? [:]), context: context)
        if let trail = context.trail {
            trail.served(
                .ciphertext(blob: pair.ciphertext, context: request.encryptionContext ?? [:], scope: context.scope))
        }
        return (pair, request.keyPairSpec!)
    }

    /// Refuses a Nitro Enclaves recipient: there is no enclave here to attest.
    private func refuse(_ recipient: RecipientInfo?) throws {
        if recipient != nil {
            throw SealboxError.unsupportedOperation(
                "Sealbox has no Nitro Enclaves: a Recipient attestation cannot be checked.")
        }
    }
}
