import Foundation
import SealboxCore
import SealboxCrypto

// Imported key material: GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial.
extension KMS {
    static let wrappingKeySpecs = ["RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096]
    /// The longest AWS lets imported material live.
    static let maxValidity: Double = 365 * 86_400

    func getParametersForImport(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(GetParametersForImportRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(request.wrappingAlgorithm, "wrappingAlgorithm")
        validator.oneOf(request.wrappingAlgorithm, "wrappingAlgorithm", WrappingAlgorithm.allCases.map(\.rawValue))
        validator.required(request.wrappingKeySpec, "wrappingKeySpec")
        validator.oneOf(request.wrappingKeySpec, "wrappingKeySpec", ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"])
        try validator.check()
        let key = try resolve(request.keyId!, context, allowAlias: false)
        try authorize(key, context)
        guard let bits = Self.wrappingKeySpecs[request.wrappingKeySpec!] else {
            throw SealboxError.unsupportedOperation("SM2 wrapping keys are offered only in AWS's China regions.")
        }
        let parameters = try parametersForImport(
            key, algorithm: WrappingAlgorithm(rawValue: request.wrappingAlgorithm!)!, bits: bits, context: context)
        return AWSJSON.encode(
            GetParametersForImportResponse(
                keyId: key.arn(context), importToken: Base64.encode(parameters.token),
                publicKey: Base64.encode(parameters.publicKey), parametersValidTo: parameters.validTo))
    }

    func importKeyMaterial(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ImportKeyMaterialRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(request.importToken, "importToken")
        validator.size(request.importToken?.bytes.count, "importToken", min: 1, max: 6144)
        validator.required(request.encryptedKeyMaterial, "encryptedKeyMaterial")
        validator.size(request.encryptedKeyMaterial?.bytes.count, "encryptedKeyMaterial", min: 1, max: 6144)
        validator.oneOf(request.expirationModel, "expirationModel", ExpirationModel.allCases.map(\.rawValue))
        validator.oneOf(request.importType, "importType", ["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"])
        validator.length(request.keyMaterialDescription, "keyMaterialDescription", max: 256)
        validator.pattern(request.keyMaterialDescription, "keyMaterialDescription", "^[a-zA-Z0-9:/_\\s.-]+$") {
            $0.properties.isAlphabetic && $0.isASCII || ("0"..."9").contains($0)
                || ":/_.- \t\n\r".unicodeScalars.contains($0)
        }
        validator.length(request.keyMaterialId, "keyMaterialId", min: 64, max: 64)
        validator.pattern(request.keyMaterialId, "keyMaterialId", "^[a-f0-9]+$") {
            ("0"..."9").contains($0) || ("a"..."f").contains($0)
        }
        try validator.check()
        let expiration = request.expirationModel.flatMap(ExpirationModel.init) ?? .expires
        let now = clock.now()
        switch (expiration, request.validTo) {
        case (.expires, nil):
            throw SealboxError.validation("A ValidTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES")
        case (.doesNotExpire, .some):
            throw SealboxError.validation(
                "A ValidTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE")
        case (.expires, .some(let validTo)) where validTo <= now || validTo > now + Self.maxValidity:
            throw SealboxError.validation("ValidTo must be in the future and at most 365 days from now.")
        default:
            break
        }
        let keyId = request.keyId!
        if let materialID = request.keyMaterialId, request.importType == "NEW_KEY_MATERIAL" {
            throw SealboxError.validation("A KeyMaterialId (\(materialID)) cannot be given with NEW_KEY_MATERIAL.")
        }
        let current = try resolve(keyId, context, allowAlias: false)
        if request.importType == "NEW_KEY_MATERIAL", current.record.importedDigest != nil {
            throw SealboxError.unsupportedOperation(
                "\(current.arn(context)) already has imported key material; Sealbox imports one key material per key.")
        }
        let key = try importKeyMaterial(
            keyId, token: request.importToken!.bytes, encrypted: request.encryptedKeyMaterial!.bytes,
            expiration: expiration, validTo: expiration == .expires ? request.validTo : nil, context: context)
        if let materialID = request.keyMaterialId, materialID != key.materialID(key.currentVersion) {
            throw SealboxError.incorrectKeyMaterial("KeyMaterialId \(materialID) is not this key's key material.")
        }
        return AWSJSON.encode(
            ImportedMaterialResponse(keyId: key.arn(context), keyMaterialId: key.materialID(key.currentVersion)))
    }

    func deleteImportedKeyMaterial(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(DeleteImportedKeyMaterialRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.length(request.keyMaterialId, "keyMaterialId", min: 64, max: 64)
        try validator.check()
        let current = try resolve(request.keyId!, context, allowAlias: false)
        if let materialID = request.keyMaterialId, materialID != current.materialID(1) {
            throw SealboxError.notFound("Key material \(materialID) is not in \(current.arn(context)).")
        }
        let before = try deleteImportedKeyMaterial(request.keyId!, context: context)
        return AWSJSON.encode(
            ImportedMaterialResponse(keyId: before.arn(context), keyMaterialId: before.materialID(1)))
    }
}
