import SealboxCore

extension KMS {
    /// The SigV4 signing name, which is also the prefix of its policy actions.
    public static let signingName = "kms"

    /// The `X-Amz-Target` prefix.
    public static let targetPrefix = "TrentService"

    /// Every operation Sealbox serves, by name.
    public static let operations = AWSOperation<KMS>.table(
        signingName: signingName,
        [
            .write("CreateKey", KMS.createKey),
            .read("DescribeKey", audited: false, KMS.describeKey),
            .read("ListKeys", audited: false, KMS.listKeys),
            .read("Encrypt", KMS.encrypt),
            .read("Decrypt", KMS.decrypt),
            .read("ReEncrypt", KMS.reEncrypt),
            .read("GenerateDataKey", KMS.generateDataKey),
            .read("GenerateDataKeyWithoutPlaintext", KMS.generateDataKeyWithoutPlaintext),
            .read("GenerateRandom", KMS.generateRandom),
            .read("GenerateMac", KMS.generateMac),
            .read("VerifyMac", KMS.verifyMac),
            .read("Sign", KMS.sign),
            .read("Verify", KMS.verify),
            .read("GetPublicKey", audited: false, KMS.getPublicKey),
            .read("DeriveSharedSecret", KMS.deriveSharedSecret),
            .slowRead("GenerateDataKeyPair", KMS.generateDataKeyPair),
            .slowRead("GenerateDataKeyPairWithoutPlaintext", KMS.generateDataKeyPairWithoutPlaintext),
            .slowRead("GetParametersForImport", KMS.getParametersForImport),
            .write("ImportKeyMaterial", KMS.importKeyMaterial),
            .write("DeleteImportedKeyMaterial", KMS.deleteImportedKeyMaterial),
            .write("CreateAlias", KMS.createAlias),
            .write("UpdateAlias", KMS.updateAlias),
            .write("DeleteAlias", KMS.deleteAlias),
            .read("ListAliases", audited: false, KMS.listAliases),
            .write("EnableKey", KMS.enableKey),
            .write("DisableKey", KMS.disableKey),
            .write("ScheduleKeyDeletion", KMS.scheduleKeyDeletion),
            .write("CancelKeyDeletion", KMS.cancelKeyDeletion),
            .write("EnableKeyRotation", KMS.enableKeyRotation),
            .write("DisableKeyRotation", KMS.disableKeyRotation),
            .read("GetKeyRotationStatus", audited: false, KMS.getKeyRotationStatus),
            .write("RotateKeyOnDemand", KMS.rotateKeyOnDemand),
            .read("ListKeyRotations", audited: false, KMS.listKeyRotations),
            .write("TagResource", KMS.tagResource),
            .write("UntagResource", KMS.untagResource),
            .read("ListResourceTags", audited: false, KMS.listResourceTags),
            .write("UpdateKeyDescription", KMS.updateKeyDescription),
            .read("GetKeyPolicy", audited: false, KMS.getKeyPolicy),
            .write("PutKeyPolicy", KMS.putKeyPolicy),
            .read("ListKeyPolicies", audited: false, KMS.listKeyPolicies),
            .write("CreateGrant", KMS.createGrant),
            .read("ListGrants", audited: false, KMS.listGrants),
            .read("ListRetirableGrants", audited: false, KMS.listRetirableGrants),
            .write("RetireGrant", KMS.retireGrant),
            .write("RevokeGrant", KMS.revokeGrant),
            .write("ReplicateKey", KMS.replicateKey),
            .write("UpdatePrimaryRegion", KMS.updatePrimaryRegion),
        ])
}
