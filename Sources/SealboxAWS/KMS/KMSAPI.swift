import SealboxCore

extension KMS {
    /// The `X-Amz-Target` prefix of KMS.
    public static let targetPrefix = "TrentService"

    /// Every operation Sealbox serves, by name.
    public static let operations: [String: AWSOperation<KMS>] = Dictionary(
        uniqueKeysWithValues: [
            AWSOperation.bind("CreateKey", writes: true, KMS.createKey),
            AWSOperation.bind("DescribeKey", KMS.describeKey),
            AWSOperation.bind("ListKeys", KMS.listKeys),
            AWSOperation.bind("Encrypt", KMS.encrypt),
            AWSOperation.bind("Decrypt", KMS.decrypt),
            AWSOperation.bind("ReEncrypt", KMS.reEncrypt),
            AWSOperation.bind("GenerateDataKey", KMS.generateDataKey),
            AWSOperation.bind("GenerateDataKeyWithoutPlaintext", KMS.generateDataKeyWithoutPlaintext),
            AWSOperation.bind("GenerateRandom", KMS.generateRandom),
            AWSOperation.bind("CreateAlias", writes: true, KMS.createAlias),
            AWSOperation.bind("UpdateAlias", writes: true, KMS.updateAlias),
            AWSOperation.bind("DeleteAlias", writes: true, KMS.deleteAlias),
            AWSOperation.bind("ListAliases", KMS.listAliases),
            AWSOperation.bind("EnableKey", writes: true, KMS.enableKey),
            AWSOperation.bind("DisableKey", writes: true, KMS.disableKey),
            AWSOperation.bind("ScheduleKeyDeletion", writes: true, KMS.scheduleKeyDeletion),
            AWSOperation.bind("CancelKeyDeletion", writes: true, KMS.cancelKeyDeletion),
            AWSOperation.bind("EnableKeyRotation", writes: true, KMS.enableKeyRotation),
            AWSOperation.bind("DisableKeyRotation", writes: true, KMS.disableKeyRotation),
            AWSOperation.bind("GetKeyRotationStatus", KMS.getKeyRotationStatus),
            AWSOperation.bind("RotateKeyOnDemand", writes: true, KMS.rotateKeyOnDemand),
            AWSOperation.bind("ListKeyRotations", KMS.listKeyRotations),
            AWSOperation.bind("TagResource", writes: true, KMS.tagResource),
            AWSOperation.bind("UntagResource", writes: true, KMS.untagResource),
            AWSOperation.bind("ListResourceTags", KMS.listResourceTags),
            AWSOperation.bind("UpdateKeyDescription", writes: true, KMS.updateKeyDescription),
            AWSOperation.bind("GetKeyPolicy", KMS.getKeyPolicy),
            AWSOperation.bind("PutKeyPolicy", writes: true, KMS.putKeyPolicy),
            AWSOperation.bind("ListKeyPolicies", KMS.listKeyPolicies),
        ])
}
