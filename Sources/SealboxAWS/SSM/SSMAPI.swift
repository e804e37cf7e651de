import SealboxCore

extension SSM {
    /// The `X-Amz-Target` prefix of SSM.
    public static let targetPrefix = "AmazonSSM"

    /// Every Parameter Store operation Sealbox serves, by name.
    public static let operations: [String: AWSOperation<SSM>] = Dictionary(
        uniqueKeysWithValues: [
            AWSOperation.bindGroup("PutParameter", SSM.putParameters),
            AWSOperation.bind("GetParameter", SSM.getParameter),
            AWSOperation.bind("GetParameters", SSM.getParameters),
            AWSOperation.bind("GetParametersByPath", SSM.getParametersByPath),
            AWSOperation.bind("DeleteParameter", writes: true, SSM.deleteParameter),
            AWSOperation.bind("DeleteParameters", writes: true, SSM.deleteParameters),
            AWSOperation.bind("DescribeParameters", SSM.describeParameters),
            AWSOperation.bind("GetParameterHistory", SSM.getParameterHistory),
            AWSOperation.bind("LabelParameterVersion", writes: true, SSM.labelParameterVersion),
            AWSOperation.bind("UnlabelParameterVersion", writes: true, SSM.unlabelParameterVersion),
            AWSOperation.bind("AddTagsToResource", writes: true, SSM.addTagsToResource),
            AWSOperation.bind("RemoveTagsFromResource", writes: true, SSM.removeTagsFromResource),
            AWSOperation.bind("ListTagsForResource", SSM.listTagsForResource),
        ])
}
