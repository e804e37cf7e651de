/// A DescribeParameters / GetParametersByPath filter, validated as AWS does.
struct ParameterFilter {
    enum Use {
        case describe, byPath
    }

    let key: String
    let option: String
    let values: [String]

    private static let options: [String: [String]] = [
        "Name": ["Equals", "BeginsWith", "Contains"], "Type": ["Equals"], "KeyId": ["Equals"],
        "Path": ["Recursive", "OneLevel"], "Label": ["Equals"], "Tier": ["Equals"], "DataType": ["Equals"],
    ]

    init(key: String?, option: String?, values: [String]?, use: Use) throws(AWSError) {
        guard let key, !key.isEmpty else { throw AWSError.invalidFilterKey("A filter needs a Key") }
        let isTag = key.hasPrefix("tag:") && key.count > 4
        guard isTag || Self.options[key] != nil else {
            throw AWSError.invalidFilterKey("The filter key \(key) is not valid")
        }
        if use == .byPath, ["Name", "Path", "Tier"].contains(key) {
            throw AWSError.invalidFilterKey("The filter key \(key) is not supported by GetParametersByPath")
        }
        let allowed = isTag ? ["Equals"] : Self.options[key]!
        let option = option ?? (key == "Path" ? "OneLevel" : "Equals")
        guard allowed.contains(option) else {
            throw AWSError.invalidFilterOption(
                "The filter option \(option) is not valid for key \(key). Valid options: \(allowed.joined(separator: ", "))"
            )
        }
        let values = values ?? []
        if !isTag, values.isEmpty { throw AWSError.invalidFilterValue("The filter \(key) needs at least one value") }
        guard values.count <= 50, values.allSatisfy({ (1...1024).contains($0.count) }) else {
            throw AWSError.invalidFilterValue("The filter \(key) takes 1 to 50 values of 1 to 1024 characters")
        }
        let fixed: [String: [String]] = [
            "Type": ParameterType.allCases.map(\.rawValue), "Tier": ["Standard", "Advanced", "Intelligent-Tiering"],
            "DataType": ["text", "aws:ec2:image", "aws:ssm:integration"],
        ]
        if let valid = fixed[key], let bad = values.first(where: { !valid.contains($0) }) {
            throw AWSError.invalidFilterValue("The filter value \(bad) is not valid for key \(key)")
        }
        if key == "Path", let bad = values.first(where: { !$0.hasPrefix("/") }) {
            throw AWSError.invalidFilterValue("The Path filter value \(bad) must start with /")
        }
        self.key = key
        self.option = option
        self.values = values
    }

    /// Whether a parameter passes, judged on its latest version (labels on any version).
    func matches(_ parameter: StoredParameter) -> Bool {
        let latest = parameter.versions.last!
        switch key {
        case "Name":
            let name = parameter.name
            return values.contains { value in
                switch option {
                case "BeginsWith": name.hasPrefix(value) || name.hasPrefix("/" + value)
                case "Contains": name.contains(value)
                default: name == value || name == "/" + value
                }
            }
        case "Type": return values.contains(latest.type.rawValue)
        case "KeyId": return latest.keyId.map(values.contains) ?? false
        case "Path":
            return values.contains { ParameterName.isUnder(parameter.name, path: $0, recursive: option == "Recursive") }
        case "Label": return parameter.versions.contains { version in version.labels.contains(where: values.contains) }
        case "Tier": return values.contains(latest.tier)
        case "DataType": return values.contains(latest.dataType)
        default:
            let tagKey = String(key.dropFirst(4))
            guard let tag = parameter.tags.first(where: { $0.key == tagKey }) else { return false }
            return values.isEmpty || values.contains(tag.value)
        }
    }
}
