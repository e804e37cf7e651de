/// One operation of an AWS JSON 1.1 service.
public struct AWSOperation<Service: Sendable>: Sendable {
    /// The operation name, as in `X-Amz-Target: <Prefix>.<name>`.
    public let name: String
    /// Whether it writes to the store; the server runs these off the event loops.
    public let writes: Bool
    let run: @Sendable (Service, [UInt8], RequestContext) throws(AWSError) -> ResponseBody

    /// Runs the operation.
    /// - Parameters:
    ///   - service: the service instance.
    ///   - body: the request body.
    ///   - context: the caller.
    public func callAsFunction(_ service: Service, body: [UInt8], context: RequestContext) throws(AWSError)
        -> ResponseBody
    {
        try run(service, body, context)
    }
}

extension KMS {
    /// The `X-Amz-Target` prefix of KMS.
    public static let targetPrefix = "TrentService"

    private static func op(
        _ name: String,
        writes: Bool = false,
        _ run: @escaping @Sendable (KMS) -> ([UInt8], RequestContext) throws(AWSError) -> ResponseBody
    ) -> (String, AWSOperation<KMS>) {
        (
            name,
            AWSOperation(name: name, writes: writes) { (kms, body, context) throws(AWSError) in
                try run(kms)(body, context)
            }
        )
    }

    /// Every operation Sealbox serves, by name.
    public static let operations: [String: AWSOperation<KMS>] = Dictionary(
        uniqueKeysWithValues: [
            op("CreateKey", writes: true, KMS.createKey),
            op("DescribeKey", KMS.describeKey),
            op("ListKeys", KMS.listKeys),
            op("Encrypt", KMS.encrypt),
            op("Decrypt", KMS.decrypt),
            op("ReEncrypt", KMS.reEncrypt),
            op("GenerateDataKey", KMS.generateDataKey),
            op("GenerateDataKeyWithoutPlaintext", KMS.generateDataKeyWithoutPlaintext),
            op("GenerateRandom", KMS.generateRandom),
            op("CreateAlias", writes: true, KMS.createAlias),
            op("UpdateAlias", writes: true, KMS.updateAlias),
            op("DeleteAlias", writes: true, KMS.deleteAlias),
            op("ListAliases", KMS.listAliases),
            op("EnableKey", writes: true, KMS.enableKey),
            op("DisableKey", writes: true, KMS.disableKey),
            op("ScheduleKeyDeletion", writes: true, KMS.scheduleKeyDeletion),
            op("CancelKeyDeletion", writes: true, KMS.cancelKeyDeletion),
            op("EnableKeyRotation", writes: true, KMS.enableKeyRotation),
            op("DisableKeyRotation", writes: true, KMS.disableKeyRotation),
            op("GetKeyRotationStatus", KMS.getKeyRotationStatus),
            op("RotateKeyOnDemand", writes: true, KMS.rotateKeyOnDemand),
            op("ListKeyRotations", KMS.listKeyRotations),
            op("TagResource", writes: true, KMS.tagResource),
            op("UntagResource", writes: true, KMS.untagResource),
            op("ListResourceTags", KMS.listResourceTags),
            op("UpdateKeyDescription", writes: true, KMS.updateKeyDescription),
            op("GetKeyPolicy", KMS.getKeyPolicy),
            op("PutKeyPolicy", writes: true, KMS.putKeyPolicy),
            op("ListKeyPolicies", KMS.listKeyPolicies),
        ])
}
