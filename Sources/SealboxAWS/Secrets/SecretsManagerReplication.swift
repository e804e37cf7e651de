import SealboxCore

// Replication across regions: ReplicateSecretToRegions and RemoveRegionsFromReplication on the
// primary, StopReplicationToReplica on a replica in its own region.
extension SecretsManager {
    func replicateSecretToRegions(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(ReplicateSecretRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        let regions = Self.replicaRegions(request.addReplicaRegions, required: true, &validator)
        try validator.check()
        let secret = try replicate(
            request.secretId!, to: regions, overwrite: request.forceOverwriteReplicaSecret == true, context: context)
        return Self.replication(secret).render()
    }

    func removeRegionsFromReplication(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(RemoveRegionsRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        validator.required(request.removeReplicaRegions, "removeReplicaRegions")
        validator.count(request.removeReplicaRegions, "removeReplicaRegions", min: 1, max: 200)
        try validator.check()
        let secret = try removeReplicas(request.secretId!, regions: request.removeReplicaRegions!, context: context)
        return Self.replication(secret).render()
    }

    func stopReplicationToReplica(_ body: [UInt8], _ context: RequestContext) throws -> ResponseBody {
        let request = try AWSJSON.decode(SecretIdRequest.self, from: body)
        var validator = Validator()
        Self.requireSecretId(request.secretId, &validator)
        try validator.check()
        let secret = try stopReplication(request.secretId!, context: context)
        var json = SensitiveJSON()
        json.string("ARN", secret.metadata.arn)
        return json.render()
    }

    /// `AddReplicaRegions` as the model constrains it: 1 or more regions, each with an optional key.
    static func replicaRegions(_ regions: [ReplicaRegion]?, required: Bool, _ validator: inout Validator)
        -> [(region: String, kmsKeyId: String?)]
    {
        if required { validator.required(regions, "addReplicaRegions") }
        validator.count(regions?.map { $0.region ?? "" }, "addReplicaRegions", min: 1, max: 200)
        var result: [(region: String, kmsKeyId: String?)] = []
        for (index, entry) in (regions ?? []).enumerated() {
            validator.required(entry.region, "addReplicaRegions.\(index + 1).member.region")
            validator.length(entry.region, "addReplicaRegions.\(index + 1).member.region", min: 1, max: 128)
            validator.length(entry.kmsKeyId, "addReplicaRegions.\(index + 1).member.kmsKeyId", max: 2048)
            if let region = entry.region { result.append((region, entry.kmsKeyId)) }
        }
        return result
    }

    /// `{"ARN", "ReplicationStatus"}`: a primary's answer to a change of its replicas.
    static func replication(_ secret: StoredSecret) -> SensitiveJSON {
        var json = SensitiveJSON()
        json.string("ARN", secret.metadata.arn)
        json.objects("ReplicationStatus", (secret.metadata.replicas ?? []).map(Self.status))
        return json
    }

    /// One `ReplicationStatus` entry.
    static func status(_ replica: SecretReplica) -> SensitiveJSON {
        var json = SensitiveJSON()
        json.string("Region", replica.region)
        json.string("KmsKeyId", replica.kmsKeyId ?? Self.defaultKeyAlias)
        json.string("Status", replica.status)
        json.string("StatusMessage", replica.message)
        return json
    }
}
