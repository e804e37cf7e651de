import SealboxCore

extension SSM {
    /// The SigV4 signing name, which is also the prefix of its policy actions.
    public static let signingName = "ssm"

    /// The `X-Amz-Target` prefix.
    public static let targetPrefix = "AmazonSSM"

    /// Every Parameter Store operation Sealbox serves, by name.
    public static let operations = AWSOperation<SSM>.table(
        signingName: signingName,
        [
            .groupWrite("PutParameter", SSM.putParameters),
            .read("GetParameter", SSM.getParameter),
            .read("GetParameters", SSM.getParameters),
            .read("GetParametersByPath", SSM.getParametersByPath),
            .write("DeleteParameter", SSM.deleteParameter),
            .write("DeleteParameters", SSM.deleteParameters),
            .read("DescribeParameters", audited: false, SSM.describeParameters),
            .read("GetParameterHistory", SSM.getParameterHistory),
            .write("LabelParameterVersion", SSM.labelParameterVersion),
            .write("UnlabelParameterVersion", SSM.unlabelParameterVersion),
            .write("AddTagsToResource", SSM.addTagsToResource),
            .write("RemoveTagsFromResource", SSM.removeTagsFromResource),
            .read("ListTagsForResource", audited: false, SSM.listTagsForResource),
            .read("GetServiceSetting", audited: false, SSM.getServiceSetting),
            .write("UpdateServiceSetting", SSM.updateServiceSetting),
            .write("ResetServiceSetting", SSM.resetServiceSetting),
            .write("PutResourcePolicy", SSM.putResourcePolicy),
            .read("GetResourcePolicies", audited: false, SSM.getResourcePolicies),
            .write("DeleteResourcePolicy", SSM.deleteResourcePolicy),
        ])
}
