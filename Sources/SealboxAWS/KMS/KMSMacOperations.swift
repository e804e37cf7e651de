import Foundation
import SealboxCore
import SealboxCrypto

// KMS MAC operations with HMAC keys: GenerateMac and VerifyMac.
extension KMS {
    func generateMac(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(GenerateMacRequest.self, from: body)
        let (key, algorithm) = try macKey(
            request.keyId, request.message, request.macAlgorithm, request.grantTokens, context, "GenerateMac")
        try checkDryRun(request.dryRun)
        let mac = try generateMac(request.message!.bytes, key: key, algorithm: algorithm, context: context)
        return AWSJSON.encode(
            GenerateMacResponse(mac: Base64.encode(mac), macAlgorithm: algorithm.rawValue, keyId: key.arn(context)))
    }

    func verifyMac(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(VerifyMacRequest.self, from: body)
        var validator = Validator()
        validator.required(request.mac, "mac")
        validator.size(request.mac?.bytes.count, "mac", min: 1, max: 6144)
        let (key, algorithm) = try macKey(
            request.keyId, request.message, request.macAlgorithm, request.grantTokens, context, "VerifyMac",
            validator)
        try checkDryRun(request.dryRun)
        guard
            try verifyMac(
                request.mac!.bytes, message: request.message!.bytes, key: key, algorithm: algorithm, context: context)
        else { throw SealboxError.invalidMac }
        return AWSJSON.encode(
            VerifyMacResponse(keyId: key.arn(context), macValid: true, macAlgorithm: algorithm.rawValue))
    }

    /// Validates what both operations share, then finds, authorizes and checks the key: usable, an
    /// HMAC key, and of the spec the algorithm names.
    private func macKey(
        _ keyId: String?, _ message: SecretBlob?, _ macAlgorithm: String?, _ grantTokens: [String]?,
        _ context: RequestContext, _ operation: String, _ validator: Validator = Validator()
    ) throws -> (LiveKey, MacAlgorithm) {
        // One ValidationException lists every failed constraint, the operation's own included.
        var validator = validator
        validator.required(message, "message")
        validator.size(message?.bytes.count, "message", min: 1, max: Self.plaintextMax)
        validator.required(keyId, "keyId")
        validator.length(keyId, "keyId", min: 1, max: Self.keyIdMax)
        validator.required(macAlgorithm, "macAlgorithm")
        validator.oneOf(macAlgorithm, "macAlgorithm", MacAlgorithm.allCases.map(\.rawValue))
        validate(grantTokens: grantTokens, &validator)
        try validator.check()
        let algorithm = MacAlgorithm(rawValue: macAlgorithm!)!
        let key = try resolve(keyId!, context)
        try authorize(key, context)
        try requireUsable(key, context)
        try requireMacAlgorithm(key, algorithm, operation, context)
        return (key, algorithm)
    }
}
