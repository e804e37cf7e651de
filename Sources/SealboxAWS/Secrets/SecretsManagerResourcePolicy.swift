import SealboxCore

// Put/Get/Delete/ValidateResourcePolicy: a secret's resource policy, which lets callers of other
// accounts use it by its full ARN, and whose Deny statements bind every caller.
extension SecretsManager {
    func putResourcePolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretResourcePolicyRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.required(request.resourcePolicy, "resourcePolicy")
        validator.length(request.resourcePolicy, "resourcePolicy", min: 1, max: SecretPolicyDocument.maxLength)
        try validator.check()
        let (policy, findings) = try SecretPolicyDocument.read(request.resourcePolicy!)
        if let finding = findings.first {
            throw SealboxError.malformedPolicyDocument("This resource policy is not valid: \(finding.message)")
        }
        let secret = try setResourcePolicy(
            request.secretId!, policy, blockPublic: request.blockPublicPolicy ?? false, context: context)
        return Self.named(secret).render()
    }

    func getResourcePolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretResourcePolicyRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        try validator.check()
        let secret = try existing(request.secretId!, context)
        var json = Self.named(secret)
        if let policy = secret.metadata.resourcePolicy { json.string("ResourcePolicy", policy.document) }
        return json.render()
    }

    func deleteResourcePolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretResourcePolicyRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        try validator.check()
        let secret = try setResourcePolicy(request.secretId!, nil, blockPublic: false, context: context)
        return Self.named(secret).render()
    }

    func validateResourcePolicy(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretResourcePolicyRequest.self, from: body)
        var validator = Validator()
        validator.required(request.resourcePolicy, "resourcePolicy")
        validator.length(request.resourcePolicy, "resourcePolicy", min: 1, max: SecretPolicyDocument.maxLength)
        validator.length(request.secretId, "secretId", min: 1, max: 2048)
        try validator.check()
        if let id = request.secretId { _ = try existing(id, context) } else { try context.authorize([]) }
        let (_, findings) = try SecretPolicyDocument.read(request.resourcePolicy!)
        var json = SensitiveJSON()
        json.bool("PolicyValidationPassed", findings.isEmpty)
        json.objects(
            "ValidationErrors",
            findings.map { finding in
                var entry = SensitiveJSON()
                entry.string("CheckName", finding.check)
                entry.string("ErrorMessage", finding.message)
                return entry
            })
        return json.render()
    }

}
