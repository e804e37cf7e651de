import SealboxCore

// Multi-Region key operations: ReplicateKey and UpdatePrimaryRegion. CreateKey makes the primary
// (`MultiRegion: true`); DescribeKey shows the set.
extension KMS {
    func replicateKey(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ReplicateKeyRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        Self.validateRegion(request.replicaRegion, "replicaRegion", &validator)
        validator.length(request.description, "description", max: 8192)
        validator.length(request.policy, "policy", min: 1, max: 131_072)
        let tags = try validateTags(request.tags, &validator)
        try validator.check()
        if let policy = request.policy { try checkPolicyDocument(policy) }
        let replica = try replicate(
            request.keyId!,
            ReplicaRequest(
                region: request.replicaRegion!, policy: request.policy ?? KMS.defaultPolicy(context),
                description: request.description ?? "", tags: tags),
            context: context)
        let there = context.within(replica.record.scope)
        return AWSJSON.encode(
            ReplicateKeyResponse(
                replicaKeyMetadata: keyMetadata(replica, there), replicaPolicy: replica.record.policy,
                replicaTags: replica.record.tags.map { WireTag(tagKey: $0.key, tagValue: $0.value) }))
    }

    func updatePrimaryRegion(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(UpdatePrimaryRegionRequest.self, from: body)
        var validator = Validator()
        validator.required(request.keyId, "keyId")
        validator.length(request.keyId, "keyId", min: 1, max: Self.keyIdMax)
        Self.validateRegion(request.primaryRegion, "primaryRegion", &validator)
        try validator.check()
        try updatePrimaryRegion(request.keyId!, to: request.primaryRegion!, context: context)
        return AWSJSON.encode(Empty())
    }

    /// The model's `RegionType`: required, 1 to 32 characters, `^([a-z]+-){2,3}\d+$`.
    private static func validateRegion(_ region: String?, _ field: String, _ validator: inout Validator) {
        validator.required(region, field)
        validator.length(region, field, min: 1, max: 32)
        guard let region, (1...32).contains(region.count) else { return }
        let parts = region.split(separator: "-", omittingEmptySubsequences: false)
        let matches =
            (3...4).contains(parts.count)
            && parts.dropLast().allSatisfy { part in
                !part.isEmpty && part.utf8.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
            }
            && !parts.last!.isEmpty
            && parts.last!.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        if !matches {
            validator.custom(
                "Value '\(region)' at '\(field)' failed to satisfy constraint: "
                    + #"Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\d+$"#)
        }
    }
}
