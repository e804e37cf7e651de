extension SSM {
    /// The `X-Amz-Target` prefix of SSM.
    public static let targetPrefix = "AmazonSSM"

    private static func op(
        _ name: String,
        writes: Bool = false,
        _ run: @escaping @Sendable (SSM) -> ([UInt8], RequestContext) throws(AWSError) -> ResponseBody
    ) -> (String, AWSOperation<SSM>) {
        (
            name,
            AWSOperation(name: name, writes: writes) { (ssm, body, context) throws(AWSError) in
                try run(ssm)(body, context)
            }
        )
    }

    /// Every Parameter Store operation Sealbox serves, by name.
    public static let operations: [String: AWSOperation<SSM>] = Dictionary(
        uniqueKeysWithValues: [
            op("PutParameter", writes: true, SSM.putParameter),
            op("GetParameter", SSM.getParameter),
            op("GetParameters", SSM.getParameters),
            op("GetParametersByPath", SSM.getParametersByPath),
            op("DeleteParameter", writes: true, SSM.deleteParameter),
            op("DeleteParameters", writes: true, SSM.deleteParameters),
            op("DescribeParameters", SSM.describeParameters),
            op("GetParameterHistory", SSM.getParameterHistory),
            op("LabelParameterVersion", writes: true, SSM.labelParameterVersion),
            op("UnlabelParameterVersion", writes: true, SSM.unlabelParameterVersion),
            op("AddTagsToResource", writes: true, SSM.addTagsToResource),
            op("RemoveTagsFromResource", writes: true, SSM.removeTagsFromResource),
            op("ListTagsForResource", SSM.listTagsForResource),
        ])
}
