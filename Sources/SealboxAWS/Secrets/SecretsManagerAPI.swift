import SealboxCore

extension SecretsManager {
    /// The SigV4 signing name, which is also the prefix of its policy actions.
    public static let signingName = "secretsmanager"

    /// The `X-Amz-Target` prefix.
    public static let targetPrefix = "secretsmanager"

    /// Every Secrets Manager operation Sealbox serves, by name.
    public static let operations = AWSOperation<SecretsManager>.table(
        signingName: signingName,
        [
            .write("CreateSecret", SecretsManager.createSecret),
            .read("GetSecretValue", SecretsManager.getSecretValue),
            .write("PutSecretValue", SecretsManager.putSecretValue),
            .read("DescribeSecret", audited: false, SecretsManager.describeSecret),
            .read("ListSecrets", audited: false, SecretsManager.listSecrets),
            .write("DeleteSecret", SecretsManager.deleteSecret),
            .write("RestoreSecret", SecretsManager.restoreSecret),
            .write("UpdateSecret", SecretsManager.updateSecret),
            .write("UpdateSecretVersionStage", SecretsManager.updateSecretVersionStage),
            .read("ListSecretVersionIds", audited: false, SecretsManager.listSecretVersionIds),
            .write("TagResource", SecretsManager.tagResource),
            .write("UntagResource", SecretsManager.untagResource),
            .read("GetRandomPassword", audited: false, SecretsManager.getRandomPassword),
            .read("BatchGetSecretValue", SecretsManager.batchGetSecretValue),
            .write("RotateSecret", SecretsManager.rotateSecret),
            .write("CancelRotateSecret", SecretsManager.cancelRotateSecret),
            .write("PutResourcePolicy", SecretsManager.putResourcePolicy),
            .read("GetResourcePolicy", audited: false, SecretsManager.getResourcePolicy),
            .write("DeleteResourcePolicy", SecretsManager.deleteResourcePolicy),
            .read("ValidateResourcePolicy", audited: false, SecretsManager.validateResourcePolicy),
            .write("ReplicateSecretToRegions", SecretsManager.replicateSecretToRegions),
            .write("RemoveRegionsFromReplication", SecretsManager.removeRegionsFromReplication),
            .write("StopReplicationToReplica", SecretsManager.stopReplicationToReplica),
        ])
}
